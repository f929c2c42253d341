# mote: build, run, test, inspect, benchmark.
CARGO    ?= cargo
TRIPLE   := x86_64-unknown-linux-gnu
FULL     := target/$(TRIPLE)/release/mote
BIN      := target/mote
PORT     ?= 8080
IMAGE    ?= mote
SYM      ?= mote::worker::Worker::drive

.PHONY: static run test docker docker-test size asm bench instr fuzz clean

# The stripped, statically linked binary at target/mote (symbols stay in $(FULL)).
static:
	$(CARGO) build --release --bin mote
	strip -o $(BIN) $(FULL)

run: static
	./$(BIN) --port $(PORT)

# Unit tests (the library, with std) and integration tests (the real binary over sockets).
# The load tests open 10,000 sockets, so take the hard limit on open files first.
test: static
	ulimit -n $$(ulimit -Hn) && MOTE_BIN=$(CURDIR)/$(BIN) $(CARGO) test --release

docker: static
	docker build -t $(IMAGE) .

# The image as it ships: built, saved (one layer, one file: the binary), run with --network host,
# checked with curl, stopped. Starts (and stops) its own Docker daemon if none answers.
docker-test: static
	bash tests/docker.sh

size: static
	@echo "== $(BIN): $$(stat -c %s $(BIN)) bytes"
	@file $(BIN)
	@echo "== sections"
	@size -A $(BIN)
	@echo "== 20 largest symbols"
	@nm --size-sort --reverse-sort -S -C $(FULL) | head -n 20

asm: static
	@objdump -d --no-show-raw-insn -M intel -C $(FULL) | awk -v sym="$(SYM)" \
	  '/^[0-9a-f]+ <.*>:$$/ { show = index($$0, "<" sym ">:") || index($$0, "<" sym "::") } show'

# Long differential fuzzing of the parser and chunked decoder (make test runs a short, fixed-seed
# pass of the same driver). FUZZ_ITERS inputs per target; FUZZ_SEED to vary the inputs.
FUZZ_ITERS ?= 20000000
fuzz:
	MOTE_FUZZ_ITERS=$(FUZZ_ITERS) MOTE_FUZZ_SEED=$(FUZZ_SEED) $(CARGO) test --release --test fuzz -- --nocapture

bench: static
	bash bench/run.sh $(if $(QUICK),--quick,)

# User-space instructions per request under callgrind, per profile, and a trickled request's cost.
instr: static
	bash bench/instr.sh

clean:
	$(CARGO) clean
