// lab runs the article's experiment in real Go 1.19 and prints one JSON
// line per phase, for `npm start -- --go` to put beside gomap-wasm's own
// figures. Phases: start; after make(hint); after fill; after delete-all
// (before GC); after GC; after clear (the compiler turns the delete loop
// into mapclear, which does nothing on an empty map); after a rebuild into
// a fresh map + GC (Go's only way to shrink).
//
//	go run ./lab -n 1000000 -keys string -hint 1000000
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"unsafe"
)

// hmap mirrors runtime/map.go's header in Go 1.19 (amd64 layout), read
// through unsafe to report B, count and noverflow.
type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      unsafe.Pointer
}

type phase struct {
	Phase       string `json:"phase"`
	HeapInuse   uint64 `json:"HeapInuse"`
	HeapAlloc   uint64 `json:"HeapAlloc"`
	HeapIdle    uint64 `json:"HeapIdle"`
	HeapSys     uint64 `json:"HeapSys"`
	Sys         uint64 `json:"Sys"`
	NumGC       uint32 `json:"NumGC"`
	LastPauseNs uint64 `json:"lastPauseNs"`
	B           int    `json:"B"`
	Count       int    `json:"count"`
	Noverflow   int    `json:"noverflow"`
	GoVersion   string `json:"goVersion"`
}

func headerOf(m interface{}) *hmap {
	// An interface holding a map holds the *hmap as its data word.
	type eface struct {
		typ  unsafe.Pointer
		data unsafe.Pointer
	}
	return (*hmap)((*eface)(unsafe.Pointer(&m)).data)
}

func emit(enc *json.Encoder, name string, m interface{}) {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	p := phase{Phase: name, HeapInuse: s.HeapInuse, HeapAlloc: s.HeapAlloc, HeapIdle: s.HeapIdle,
		HeapSys: s.HeapSys, Sys: s.Sys, NumGC: s.NumGC, LastPauseNs: s.PauseNs[(s.NumGC+255)%256],
		GoVersion: runtime.Version()}
	if m != nil {
		h := headerOf(m)
		p.B, p.Count, p.Noverflow = int(h.B), h.count, int(h.noverflow)
	}
	if err := enc.Encode(p); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	n := flag.Int("n", 1000000, "entries")
	keys := flag.String("keys", "string", "string or u64")
	hint := flag.Int("hint", -1, "size hint (-1: n)")
	flag.Parse()
	if *hint < 0 {
		*hint = *n
	}
	enc := json.NewEncoder(os.Stdout)
	switch *keys {
	case "string":
		experiment(enc, *n, *hint, func(i int) string { return "key-" + strconv.Itoa(i) })
	case "u64":
		experiment(enc, *n, *hint, func(i int) uint64 { return uint64(i) * 0x9e3779b97f4a7c15 })
	default:
		fmt.Fprintln(os.Stderr, "-keys must be string or u64")
		os.Exit(2)
	}
}

// experiment runs the phases on a map[K]int.
func experiment[K comparable](enc *json.Encoder, n, hint int, key func(int) K) {
	runtime.GC()
	emit(enc, "start", nil)
	m := make(map[K]int, hint)
	emit(enc, "make", m)
	for i := 0; i < n; i++ {
		m[key(i)] = i
	}
	emit(enc, "fill", m)
	for k := range m { // the compiler turns this loop into mapclear
		delete(m, k)
	}
	emit(enc, "delete", m)
	runtime.GC()
	emit(enc, "gc", m)
	for k := range m {
		delete(m, k)
	}
	runtime.GC()
	emit(enc, "clear", m)
	fresh := make(map[K]int)
	for k, v := range m {
		fresh[k] = v
	}
	m = nil
	runtime.GC()
	emit(enc, "shrink", fresh)
	runtime.KeepAlive(fresh)
}
