# Socket Lab. `make run` serves http://localhost:8080; `make test` runs every check CI runs.
GO      ?= go
ADDR    ?=
TEMPL   := $(GO) tool templ

.PHONY: run build test generate fmt vet check-generated check-lessons go-test node-test bench fuzz tools

# ADDR=host:port overrides SOCKETLAB_ADDR and the default (localhost:8080).
run:
	$(GO) run . serve $(if $(ADDR),-addr $(ADDR))

build:
	$(GO) build -o socketlab .

# From the module root, as `go tool templ generate` is usually run: the generated files name
# their sources templates/*.templ.
generate:
	$(TEMPL) generate

fmt:
	gofmt -w .
	$(TEMPL) fmt templates

vet:
	$(GO) vet ./...

# templ generate and fmt must change nothing that is committed.
check-generated:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) mod tidy -diff
	$(TEMPL) fmt -fail templates
	$(TEMPL) generate
	@git diff --exit-code -- templates || { echo "templ generate changed committed files: run make generate and commit"; exit 1; }

# The course itself passes the lesson checker (file:line:col: message on any problem).
check-lessons:
	$(GO) run . check lessons

# The Node peers are installed first: the Go tests drive the npm socket.io-client.
go-test: node/node_modules
	$(GO) test -race -count=1 -timeout 30m ./...

node/node_modules: node/package.json node/package-lock.json
	cd node && npm ci --no-audit --no-fund
	touch node/node_modules

# The browser client (sio.js) against npm socket.io in Chromium, the lessons' claims checked on
# the real socket.io, and every lesson exercise graded there: its solution passes, its starter
# fails. Then the exercises again on `socketlab run` (EXERCISE_SERVER, see node/exercise/lib.js):
# our sandbox is held to the same checks. (The npm socket.io-client against our hub runs inside
# go test.)
node-test: node/node_modules build
	cd node && SOCKETLAB_BIN=$(CURDIR)/socketlab node --test --test-concurrency=1 sio/ truth/ exercise/
	cd node && SOCKETLAB_BIN=$(CURDIR)/socketlab EXERCISE_SERVER="$(CURDIR)/socketlab run -addr 127.0.0.1:{port} {file}" \
		node --test --test-concurrency=1 exercise/exercises.test.js

test: vet check-generated check-lessons go-test node-test

bench:
	./bench.sh

# Every fuzz target for FUZZTIME each (go test -fuzz takes one target at a time): the parsers of
# untrusted bytes (Engine.IO packets and payloads, Socket.IO packets and binary reassembly, the
# tap's previews, the sandbox's JSON decoder, POST /play configs) and of lessons.
# `make fuzz FUZZTIME=30s` for a quick pass; new crashers land in each package's testdata/fuzz/.
FUZZTIME ?= 10m
FUZZ_TARGETS := ./playground/engineio:FuzzParsePacket ./playground/engineio:FuzzDecodePayload \
	./playground/socketio:FuzzDecode ./playground/socketio:FuzzClient ./playground/socketio:FuzzCutArgs \
	./playground/socketio/sandbox:FuzzDecodeJSON ./playground/socketio/redisadapter:FuzzDecodeBroadcast ./playground:FuzzParseDemo \
	./lessons:FuzzLoad ./lessons/blocks:FuzzDemo ./lessons/blocks:FuzzQuiz ./lessons/blocks:FuzzExercise \
	./lessons/blocks:FuzzAllowedURL
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t"; $(GO) test -run=NONE -fuzz="^$${t#*:}\$$" -fuzztime=$(FUZZTIME) $${t%%:*}; \
	done
