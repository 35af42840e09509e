# make demo: create .venv, install nndoctor and the dev/test requirements, diagnose a seed.
# make test: the fast suite (builds .venv when missing).
# make bench: the long benchmark (not part of make test).
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-cases clean

$(STAMP): requirements-dev.txt pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nndoctor run --out nndoctor-runs/demo examples/seeds/seed_002.py

# Two pytest workers for the two cores; one math thread each, so they do not fight.
# --dist loadfile: a module runs on one worker, so a module fixture that makes every
# run of its tests (test_keras.py) runs once; xdist_group did not hold them together.
test: $(STAMP)
	$(BIN)/ruff check src tests
	OMP_NUM_THREADS=1 $(BIN)/pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

bench: $(STAMP)
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/run.py
	$(BIN)/python bench/memory.py

# Each case run plainly, and each buggy case's fix (bench/fixes/): one at a time.
bench-cases: $(STAMP)
	$(BIN)/python bench/check_cases.py

clean:
	rm -rf $(VENV) nndoctor-runs
