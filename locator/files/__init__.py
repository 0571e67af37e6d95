"""Files from outside: reading untrusted tables safely, their problems by row, atomic writes."""
