# Fresh Debian machine: `make run` dictates, `make test` tests. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins espeak-ng \
	festival festvox-us-slt-hts festvox-ca-ona-hts festvox-italp16k festvox-itapc16k \
	sox xclip xvfb curl python3-venv systemd \
	xdotool x11-xserver-utils xinput wtype ydotool python3-tk openssl tmux man-db fish zsh \
	waybar sway grim foot wl-clipboard

.PHONY: run demo install-service test test-fast repeat flake lint bench deps venv clean

run: deps venv ## dictate from the default microphone (bundled sample if there is none)
	$(BIN)/dictation run --demo-fallback $(ARGS)

demo: deps venv ## dictate the bundled spoken sample at real time
	$(BIN)/dictation demo $(ARGS)

install-service: deps venv ## run dictation as a systemd user service; ARGS go to `dictation run`
	$(BIN)/dictation install-service -- $(ARGS)

# Tests run side by side: most of them wait on audio played at real time, so they overlap
# well even on two cores. Each worker has its own sound server, API server and X servers;
# an idle worker takes queued tests from a busy one (worksteal), so no long test runs last.
JOBS ?= 4

test: deps venv lint ## everything, real parts included (what CI runs)
	$(BIN)/python -m pytest -n $(JOBS) --dist worksteal --durations=15 $(PYTEST_ARGS)

test-fast: venv ## the edit loop: pure and in-process tests only, no real parts
	$(BIN)/python -m pytest -n 2 -m "not real" $(PYTEST_ARGS)

repeat: venv ## every fast test RUNS (20) times shuffled, and as often alone: pass counts
	$(BIN)/python tools/repeat.py --runs $(or $(RUNS),20) $(ARGS)

flake: deps venv ## the timing-sensitive tests RUNS (5) times under a busy loop: pass counts
	$(BIN)/python tools/flake.py --runs $(or $(RUNS),5) --jobs $(JOBS) $(ARGS)

lint: venv
	$(BIN)/ruff check .

bench: deps venv ## WER, latency, CPU and RSS on a generated spoken corpus
	$(BIN)/python bench/run.py $(ARGS)

deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages:" $$missing; \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
		else \
			echo "dictation needs Debian packages; install them, then run make again:"; \
			echo "  sudo apt-get install -y" $$missing; exit 1; \
		fi; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[local,test,bench]'
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info bench/.corpus bench/.runs
