"""Generation backends: a snippet in, an instruction, code and test inputs out."""
