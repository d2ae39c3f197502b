"""The stream runtime, the only package that imports Faust: the app and its topics, the agents, the commit
guard, the state reader."""
