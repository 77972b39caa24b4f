# Fresh Debian machine: `make run` dictates, `make test` tests. Both set everything up:
# `make run` only what running needs, `make test` adds the test and bench tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PREFIX ?= $(HOME)/.local
# Running: PortAudio, its way to the sound server (the ALSA pulse plugin, pactl for
# `dictation devices`), and venv.
RUN_APT := libportaudio2 libasound2-plugins pulseaudio-utils python3-venv
# Testing: a sound server of the tests' own, speech, X and Wayland servers, the typing and
# clipboard tools, shells for the completions, and the rest the real-part tests drive.
TEST_APT := pulseaudio espeak-ng \
	festival festvox-us-slt-hts festvox-ca-ona-hts festvox-italp16k festvox-itapc16k \
	sox xclip xvfb curl systemd \
	xdotool x11-xserver-utils xinput wtype ydotool python3-tk openssl tmux man-db fish zsh \
	waybar sway grim foot wl-clipboard
# npm fetches the bench's neural voices (bench/neural.py). A Node.js from elsewhere brings its
# own npm and conflicts with Debian's: asked for only when there is none.
NPM_APT := $(if $(shell command -v npm),,npm)
APT_PACKAGES := $(RUN_APT) $(TEST_APT) $(NPM_APT)

.PHONY: run demo install uninstall install-service test test-fast repeat flake lint bench \
	deps deps-test venv venv-test clean

run: deps venv ## dictate from the default microphone (bundled sample if there is none)
	$(BIN)/dictation run --demo-fallback $(ARGS)

demo: deps venv ## dictate the bundled spoken sample at real time
	$(BIN)/dictation demo $(ARGS)

install: deps venv ## put `dictation` and its man page on PATH: links in $(PREFIX)/bin, share/man
	mkdir -p $(PREFIX)/bin $(PREFIX)/share/man/man1
	ln -sfn $(CURDIR)/$(BIN)/dictation $(PREFIX)/bin/dictation
	ln -sfn $(CURDIR)/man/dictation.1 $(PREFIX)/share/man/man1/dictation.1
	@echo "installed $(PREFIX)/bin/dictation (it runs this clone's $(VENV): keep the clone)"
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; *) \
		echo "$(PREFIX)/bin is not on PATH: log in again (Debian's ~/.profile adds" \
			"~/.local/bin once it exists), or add it to PATH";; esac

uninstall: ## remove what `make install` linked
	rm -f $(PREFIX)/bin/dictation $(PREFIX)/share/man/man1/dictation.1

install-service: deps venv ## run dictation as a systemd user service; ARGS go to `dictation run`
	$(BIN)/dictation install-service -- $(ARGS)

# Tests run side by side: most of them wait on audio played at real time, so they overlap
# well even on two cores. Each worker has its own sound server, API server and X servers;
# an idle worker takes queued tests from a busy one (worksteal), so no long test runs last.
JOBS ?= 4

test: deps-test venv-test lint ## everything, real parts included (what CI runs)
	$(BIN)/python -m pytest -n $(JOBS) --dist worksteal --durations=15 $(PYTEST_ARGS)

test-fast: venv-test ## the edit loop: pure and in-process tests only, no real parts
	$(BIN)/python -m pytest -n 2 -m "not real" $(PYTEST_ARGS)

repeat: venv-test ## every fast test RUNS (20) times shuffled, and as often alone: pass counts
	$(BIN)/python tools/repeat.py --runs $(or $(RUNS),20) $(ARGS)

flake: deps-test venv-test ## the timing-sensitive tests RUNS (5) times under a busy loop: pass counts
	$(BIN)/python tools/flake.py --runs $(or $(RUNS),5) --jobs $(JOBS) $(ARGS)

lint: venv-test
	$(BIN)/ruff check .

bench: deps-test venv-test ## WER, latency, CPU and RSS on a generated spoken corpus
	$(BIN)/python bench/run.py $(ARGS)

# Missing Debian packages among $(1): installed when root, else the exact command to run.
define apt_install
	@missing=$$(for p in $(1); do \
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
endef

deps: ## the Debian packages running needs
	$(call apt_install,$(RUN_APT))

deps-test: ## and those only the tests and the bench need
	$(call apt_install,$(APT_PACKAGES))

# Running needs the package and the embedded engine; the tests and the bench add theirs.
venv: $(VENV)/.installed
venv-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[local]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[local,test,bench]'
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info bench/.corpus bench/.runs
