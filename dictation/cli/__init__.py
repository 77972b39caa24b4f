"""The command line: options, configuration, and the commands they run.

- main.py        the entry point: argparse values become explicit config objects; dispatch
- options.py     the commands and their options (argparse)
- optgroups.py   the option groups `run` and `transcribe` share
- values.py      range-checked option types (finite, in range)
- coerce.py      file and environment values through each option's own type and choices
- settings.py    config.toml, DICTATION_* variables and the command line, merged (generic:
                 the keys are read off the parser)
- configfile.py  config.toml: its keys and lines, TOML values written back

May import every other part of dictation; nothing imports it but the entry point.
"""
