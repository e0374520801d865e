"""Writing cases from traces: ``--promote-trace`` picks the LLM span (:mod:`.pick`),
builds the case (:mod:`.build`, :mod:`.appcode`), redacts it, verifies that its checks
catch the recorded failure and writes it (:mod:`.promotion`); :mod:`.commands` runs
the trace commands."""
