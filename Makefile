# The two commands of the README. Both install what is missing first (infra/install.sh).
.PHONY: install run test lint down

install:
	@bash infra/install.sh

run: install
	@.venv/bin/marsad run seeds

test: install
	@.venv/bin/python -m pytest -q

lint: install
	@.venv/bin/ruff check .

down:
	@.venv/bin/marsad down
