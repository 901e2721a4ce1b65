# moodsite: `make run` serves the site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SONGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: run test lint venv migrate

$(BIN)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(BIN)/.installed

migrate: venv
	$(BIN)/python manage.py migrate --noinput

run: migrate
ifneq ($(SONGS),)
	$(BIN)/python manage.py import_songs $(SONGS)
endif
	-$(BIN)/python manage.py classify_songs
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

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
