"""Models by name. The recurrent kinds (rnn, lstm, peephole, gru) are registered in
models/recurrent.py; each model family has a typed config (models/config.py) that builds it and
round-trips its checkpoint. Import the module you need: a stage then depends on it alone."""
