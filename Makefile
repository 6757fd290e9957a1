GO      ?= go
BIN     ?= bin/originproof
DEMO_OUT ?= out/demo
PKGS    := ./...

.PHONY: all build test test-race fuzz demo lint bench image clean

all: build

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/originproof

## image: docker-loadable tarball $(IMAGE_TAR) (docker load -i; kind load image-archive):
## the static binary on an empty base, user 65532, the build machine's CA
## certificates; no daemon, no registry, no network (internal/mkimage).
IMAGE_TAR  ?= bin/originproof-image.tar
IMAGE_TAG  ?= originproof:$(VERSION)
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
image:
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/linux-$(IMAGE_ARCH)/originproof ./cmd/originproof
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 0) \
	$(GO) run ./internal/mkimage --binary bin/linux-$(IMAGE_ARCH)/originproof --version $(VERSION) --tag $(IMAGE_TAG) --out $(IMAGE_TAR)

## test: vet and every test (unit, CLI, real-server matrix where installed).
## Packages run one at a time (-p 1): several of them start origins and
## measure latency, and must not starve each other on a 2-core machine.
test: lint
	$(GO) test -p 1 -count=1 -timeout 14m $(PKGS)

## test-race: the race detector over the packages that run goroutines (the
## engine and its histograms, the probe, the reference origin, the report's
## parallel decoder, certify). -short and RACE_SKIP leave out what measures
## time or a browser (a million-result render, every profile against every
## probe, Chromium, rate and send-lag assertions): -race slows them several
## times over, and the concurrent paths they take, the other tests take too.
RACE_PKGS ?= ./loadgen/... ./probe ./fixtures/origin ./reports ./certify
RACE_SKIP ?= TestInBrowser|TestAccountingMatchesTheOrigin|TestCoordinatedOmissionIsVisible|TestInterruptStillReports
test-race:
	$(GO) test -race -short -p 1 -count=1 -timeout 10m -skip '$(RACE_SKIP)' $(RACE_PKGS)

## fuzz: every fuzz target for FUZZTIME each, one after the other
## (internal/fuzzall); a failing input is left under the package's
## testdata/fuzz/<Target>/, which `make test` replays from then on.
FUZZTIME ?= 30s
fuzz:
	$(GO) run ./internal/fuzzall -fuzztime $(FUZZTIME)

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
