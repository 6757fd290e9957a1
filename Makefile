GO      ?= go
BIN     ?= bin/originproof
DEMO_OUT ?= out/demo
PKGS    := ./...

.PHONY: all build test demo lint bench clean

all: build

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/originproof

## test: vet and every test (unit, CLI, real-server matrix where installed).
## Packages run one at a time (-p 1): several of them start origins and
## measure latency, and must not starve each other on a 2-core machine.
test: lint
	$(GO) test -p 1 -count=1 -timeout 14m $(PKGS)

## demo: reference origins on loopback, conformance + load, HTML report under $(DEMO_OUT)
demo: build
	./$(BIN) demo --out $(DEMO_OUT)

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

## bench: generator CPU, handshakes, coordinated omission, memory (internal/bench) and report rendering
bench: build
	$(GO) run ./internal/bench
	$(GO) test -run '^$$' -bench BenchmarkRenderOneMillion -benchtime 3x ./reports

clean:
	rm -rf bin out
