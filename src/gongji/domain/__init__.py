"""Pure rules: no I/O, no framework, nothing of the project outside domain/."""
