"""The command line: options, configuration, and the commands they run.

- main.py        the entry point: logging, errors as one line, dispatch to the commands
- options.py     the commands and their options (argparse)
- parser.py      the parser class of every command (`ctl`'s too): a usage error is one line
- optgroups.py   the option groups `run` and `transcribe` share, and run's text stage's
- values.py      option values: range-checked types, and the same from file and environment
- settings.py    config.toml, DICTATION_* variables and the command line, merged (generic:
                 the keys are read off the parser)
- configfile.py  config.toml: where it is, its keys, tables and lines, TOML values written back
- textopts.py    the text stage's settings: commands and their tables, vocabulary, replacements,
                 post-processing; and what `dictation config` shows of them
- ctl.py         `dictation ctl` and `dictation status`, loaded before (and without) the rest
- models.py      `dictation models`: list, pull, rm, bench; modeltable.py: what list prints

May import every other part of dictation; nothing imports it but the entry point. ctl.py
imports only the standard library and the control client: a key binding waits on it.
"""
