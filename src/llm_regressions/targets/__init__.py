"""App targets: a case that calls the app's own entry point (:mod:`.run`) and checks
the litellm calls the app made, captured through litellm's callbacks (:mod:`.capture`)."""
