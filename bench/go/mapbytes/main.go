// mapbytes measures what Go 1.19's own maps cost per entry: HeapInuse and
// HeapAlloc after inserting n keys (with and without a size hint) and a
// runtime.GC(), for map[uint32]uint32 and map[uint64]uint64. It prints one
// JSON line per case so bench scripts can put Go's figures beside ours.
//
//	go run ./bench/go/mapbytes -n 1000000
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
)

type result struct {
	Map           string  `json:"map"`
	N             int     `json:"n"`
	Hint          int     `json:"hint"`
	HeapInuse     uint64  `json:"heapInuse"`
	HeapAlloc     uint64  `json:"heapAlloc"`
	InusePerEntry float64 `json:"heapInusePerEntry"`
	AllocPerEntry float64 `json:"heapAllocPerEntry"`
	GoVersion     string  `json:"goVersion"`
}

func stats() runtime.MemStats {
	runtime.GC()
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	return s
}

var sink interface{}

func measure(name string, n, hint int, fill func(hint int) interface{}) result {
	s0 := stats()
	m := fill(hint)
	s1 := stats()
	sink = m
	r := result{Map: name, N: n, Hint: hint, GoVersion: runtime.Version()}
	r.HeapInuse = s1.HeapInuse - s0.HeapInuse
	r.HeapAlloc = s1.HeapAlloc - s0.HeapAlloc
	r.InusePerEntry = float64(r.HeapInuse) / float64(n)
	r.AllocPerEntry = float64(r.HeapAlloc) / float64(n)
	runtime.KeepAlive(m)
	sink = nil
	return r
}

func main() {
	n := flag.Int("n", 1000000, "entries")
	flag.Parse()
	enc := json.NewEncoder(os.Stdout)
	for _, hint := range []int{0, *n} {
		r := measure("map[uint32]uint32", *n, hint, func(hint int) interface{} {
			m := make(map[uint32]uint32, hint)
			for i := 0; i < *n; i++ {
				k := uint32(i) * 2654435761
				m[k] = k
			}
			return m
		})
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		r = measure("map[uint64]uint64", *n, hint, func(hint int) interface{} {
			m := make(map[uint64]uint64, hint)
			for i := 0; i < *n; i++ {
				k := uint64(i) * 0x9e3779b97f4a7c15
				m[k] = k
			}
			return m
		})
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
