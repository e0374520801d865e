"""The pytest run: case files become items (:mod:`.collect`), items get their answers
(:mod:`.replay`) and verdicts (:mod:`.verdict`), each case leaves one record
(:mod:`.record`), and one object per session (:mod:`.session`) turns the records into
the gate, the reports and the terminal section."""
