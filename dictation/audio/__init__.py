"""The audio source and voice activity: sound in, classified 30 ms frames out.

- mic.py      the microphone (sounddevice, native rate → 16 kHz mono int16); lost and found
- devices.py  input devices: listing, what ``--input`` names, PortAudio's lock
- files.py    audio files played into the pipeline, at real time or as fast as it takes them
- codec.py    decoding any audio file (PCM WAV by hand, the rest with PyAV); resampling
- vad.py      webrtcvad on exact 30 ms frames, leftover kept; the background level
- levels.py   levels of frames: input level, speech above background, quietest split point
- silentinput.py  a microphone that hears nothing: one line naming the source and its level
- soundserver.py  the sound server's sources, through pactl: which one PortAudio records from

May import: dictation.errors, dictation.records, dictation.text (its configs, the sanitiser); numpy,
sounddevice, soxr, webrtcvad, PyAV; and run pactl. Nothing of the stages after it.
"""
