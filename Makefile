# The two commands of the README. Everything else lives in scripts/.
.PHONY: demo test

## Run the demo (core demo until the Temporal demo lands).
demo:
	cargo run -q -p warrants --example demo

## Run every check and test: fmt, clippy, unit, property, invariant, vector, doc and bench-smoke tests.
test:
	bash scripts/test.sh
