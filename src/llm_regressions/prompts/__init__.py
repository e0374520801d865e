"""The CURRENT prompt of a case: ``{{variable}}`` template files and the app's render
hooks (:mod:`.template`), checked at collection and sent at run time
(:mod:`.current`), and how the current prompt differs from the recorded one
(:mod:`.diff`)."""
