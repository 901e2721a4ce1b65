# moodsite: `make run` serves the site, `make test` runs the whole suite,
# `make bench` measures it (benchmarks/; minutes, prints tables, writes JSON
# to benchmarks/results/ and Markdown to docs/benchmarks/).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SONGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: run test lint venv migrate bench device-pack

$(BIN)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(BIN)/.installed

# The cache table holds the rate limits' budgets when there is no REDIS_URL.
migrate: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

# The settings default to production (DEBUG off, HTTPS only, SECRET_KEY
# required); the local site asks for DEBUG, for run and what it runs first.
run: export DEBUG ?= true
run: migrate
ifneq ($(SONGS),)
	$(BIN)/python manage.py import_songs $(SONGS)
endif
	-$(BIN)/python manage.py classify_songs
# Covers in the background while the site serves (tiles until then), best-
# ranked songs first, when the cover source answers; COVERS=no skips it.
ifneq ($(COVERS),no)
	$(BIN)/python manage.py fill_covers --if-reachable --best-first --progress 200 &
endif
	@echo "DEBUG is on: an unknown URL shows Django's debug 404 (its URL list);"
	@echo "with DEBUG off the site serves its own 404 page."
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite on SQLite; then, when a PostgreSQL server is given
# (TEST_POSTGRES_URL, as .ci/run does), the database-heavy apps again on it.
test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)
ifneq ($(TEST_POSTGRES_URL),)
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest music recommender $(PYTEST_ARGS)
else
	@echo "TEST_POSTGRES_URL not set: skipped the PostgreSQL pass (.ci/run sets it)."
endif

# HTTP load (wrk on gunicorn), the pool query on PostgreSQL, a short soak and
# the upload memory figure. BENCH_SECONDS per wrk run; SOAK_SECONDS for the soak
# (600 for the full 10 minutes). Each script writes its table as Markdown into
# BENCH_DOCS, one generated file each, which docs/performance.md links to: run
# it on an otherwise idle machine (the files record the load average).
BENCH_SECONDS ?= 10
SOAK_SECONDS ?= 60
BENCH_DOCS ?= docs/benchmarks
bench: venv
	$(BIN)/python benchmarks/http_load.py --duration $(BENCH_SECONDS) --markdown $(BENCH_DOCS)
	$(BIN)/python benchmarks/pool_query.py --markdown $(BENCH_DOCS)
	$(BIN)/python benchmarks/song_pool_scale.py --json benchmarks/results/song_pool_scale.json \
		--markdown $(BENCH_DOCS)
	$(BIN)/python benchmarks/soak.py --duration $(SOAK_SECONDS) --markdown $(BENCH_DOCS)
	$(BIN)/python benchmarks/upload_memory.py --markdown $(BENCH_DOCS)
	$(BIN)/python benchmarks/scene_cost.py --markdown $(BENCH_DOCS)

# Style, and the one-way app graph (pyproject.toml's [tool.importlinter]).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# What a lent GPU machine needs to train the emotion model and cannot fetch
# (docs/emotion-model.md, "Training on a GPU"): FER2013 packed under 64 MiB, and the wheels
# for its Python 3.12 that its image lacks (versions as constraints.txt pins).
FER2013 ?= ../shared/data/fer2013/fer2013.npz
DEVICE_WHEELS := keras namex optree Django asgiref sqlparse dj-database-url
device-pack: venv
	rm -rf .device
	$(BIN)/python -m ml_training.face.portable pack $(FER2013) .device/data
	$(BIN)/pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
		--implementation cp --platform manylinux_2_28_x86_64 \
		--platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
		-d .device/wheels $(foreach name,$(DEVICE_WHEELS),$(shell grep -i '^$(name)==' constraints.txt))
	du -sh .device/*
