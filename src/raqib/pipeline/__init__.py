"""The stages as one ordered, contract-checked chain (``chain``) and the models they load once per process
(``runtime``): what the Faust agents and batch mode both run."""
