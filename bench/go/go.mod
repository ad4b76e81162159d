module gomap-wasm/bench/go

go 1.19
