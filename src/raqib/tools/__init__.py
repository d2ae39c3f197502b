"""The ``raqib`` command and everything offline: demo, embedded broker, batch mode, tail, audit, bench,
evaluation and training."""
