"""The actors: thin synchronous state machines the runtime feeds (`base.Actor`), one per
stage of the pipeline (feed, oracle, validator, risk gate, execution, recorder, monitor,
supervisor, the simulator's actors and the strategy host's). Each keeps its decisions in
`handle` and its domain logic in a pure package below it (`validation/` is the model)."""
