// maps is bench/maps.mjs's "Go native" peer: Go 1.19's own map on the same
// key streams as the other peers, timed here, driven by the benchmark's
// child process over stdin/stdout so that its turns interleave with the
// JS peers' turns inside each repetition.
//
//	go build -o /tmp/gomap-bench-maps ./maps   (in bench/go; bench/maps.mjs does this)
//
// Protocol (one line per command, one JSON line per answer):
//
//	load <kind> <n> <file>    kind u32 | u64 | str. The file holds the insert
//	                          keys, the lookup keys (same keys, another order;
//	                          also the delete order) and the absent keys, n of
//	                          each: u32 / u64 little-endian, or one string per
//	                          line. Answer {"ok":true}.
//	turn <inner> <ops> <mem>  runtime.GC(), then <inner> fresh maps (no size
//	                          hint), each running <ops> (comma-separated:
//	                          insert, hit, miss, iterate, delete), each op
//	                          timed per map and summed. Answer {"ns":{op: ns
//	                          per op}, "checks":{op: checksum of the first
//	                          map}, "mem":{"heapInuse": bytes per entry}}
//	                          (mem 1: HeapInuse delta over the first map's
//	                          inserts, between two runtime.GC()).
//
// Checksums are those of bench/maps.mjs's loops: insert = len(m); hit and
// miss = sum of the values found; iterate = "<sum of values>:<xor>" where the
// xor is over ToInt32(Number(key)) (strings: "<sum>:<sum of key lengths>");
// delete = keys deleted (n - len(m) after the loop: Go's delete says nothing).
// Values are 1..n, the insertion index + 1. End of stdin ends the program.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type answer struct {
	Ok     bool               `json:"ok,omitempty"`
	Ns     map[string]float64 `json:"ns,omitempty"`
	Checks map[string]string  `json:"checks,omitempty"`
	Mem    map[string]float64 `json:"mem,omitempty"`
	Go     string             `json:"go,omitempty"`
	Error  string             `json:"error,omitempty"`
}

// keys of one load: exactly one of the three kinds is filled.
type keys struct {
	kind                 string
	n                    int
	ins32, look32, mis32 []uint32
	ins64, look64, mis64 []uint64
	insS, lookS, misS    []string
}

func load(kind string, n int, path string) (*keys, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k := &keys{kind: kind, n: n}
	switch kind {
	case "u32":
		if len(data) != 12*n {
			return nil, fmt.Errorf("u32 file has %d bytes, want %d", len(data), 12*n)
		}
		all := make([]uint32, 3*n)
		for i := range all {
			all[i] = binary.LittleEndian.Uint32(data[4*i:])
		}
		k.ins32, k.look32, k.mis32 = all[:n], all[n:2*n], all[2*n:]
	case "u64":
		if len(data) != 24*n {
			return nil, fmt.Errorf("u64 file has %d bytes, want %d", len(data), 24*n)
		}
		all := make([]uint64, 3*n)
		for i := range all {
			all[i] = binary.LittleEndian.Uint64(data[8*i:])
		}
		k.ins64, k.look64, k.mis64 = all[:n], all[n:2*n], all[2*n:]
	case "str":
		// One string per line; each its own allocation (as keys read from
		// elsewhere would be), so lookups do not share the inserted strings.
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(lines) != 3*n {
			return nil, fmt.Errorf("str file has %d lines, want %d", len(lines), 3*n)
		}
		all := make([]string, 3*n)
		for i, l := range lines {
			all[i] = string([]byte(l))
		}
		k.insS, k.lookS, k.misS = all[:n], all[n:2*n], all[2*n:]
	default:
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	return k, nil
}

// toInt32OfNumber is JS's ToInt32(Number(k)) for a u64 k: Number() rounds to
// the nearest double (ties to even, as Go's conversion), ToInt32 takes the
// integer value modulo 2^32.
func toInt32OfNumber(k uint64) int32 {
	f := float64(k)
	if f >= 18446744073709551616.0 {
		return 0
	}
	return int32(uint32(uint64(f)))
}

// sumStr prints a float64 sum as JS's String(number) does for integers.
func sumStr(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) }

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// The timed loops, one per key kind (Go's map code is per type anyway).

func turn32(k *keys, inner int, ops []string, mem bool, a *answer) {
	n := k.n
	for j := 0; j < inner; j++ {
		var h0 uint64
		if mem && j == 0 {
			h0 = heapInuse()
		}
		m := make(map[uint32]uint32)
		for _, op := range ops {
			var check string
			t0 := time.Now()
			switch op {
			case "insert":
				for i, key := range k.ins32 {
					m[key] = uint32(i + 1)
				}
			case "hit", "miss":
				src := k.look32
				if op == "miss" {
					src = k.mis32
				}
				s := 0.0
				for _, key := range src {
					if v, ok := m[key]; ok {
						s += float64(v)
					}
				}
				check = sumStr(s)
			case "iterate":
				s, x := 0.0, int32(0)
				for key, v := range m {
					s += float64(v)
					x ^= int32(key)
				}
				check = sumStr(s) + ":" + strconv.Itoa(int(x))
			case "delete":
				for _, key := range k.look32 {
					delete(m, key)
				}
				check = strconv.Itoa(n - len(m))
			default:
				continue
			}
			a.Ns[op] += float64(time.Since(t0).Nanoseconds())
			if op == "insert" {
				check = strconv.Itoa(len(m))
				if mem && j == 0 {
					a.Mem["heapInuse"] = (float64(heapInuse()) - float64(h0)) / float64(n)
				}
			}
			if j == 0 {
				a.Checks[op] = check
			}
		}
		runtime.KeepAlive(m)
	}
}

func turn64(k *keys, inner int, ops []string, mem bool, a *answer) {
	n := k.n
	for j := 0; j < inner; j++ {
		var h0 uint64
		if mem && j == 0 {
			h0 = heapInuse()
		}
		m := make(map[uint64]uint64)
		for _, op := range ops {
			var check string
			t0 := time.Now()
			switch op {
			case "insert":
				for i, key := range k.ins64 {
					m[key] = uint64(i + 1)
				}
			case "hit", "miss":
				src := k.look64
				if op == "miss" {
					src = k.mis64
				}
				s := 0.0
				for _, key := range src {
					if v, ok := m[key]; ok {
						s += float64(v)
					}
				}
				check = sumStr(s)
			case "iterate":
				s, x := 0.0, int32(0)
				for key, v := range m {
					s += float64(v)
					x ^= toInt32OfNumber(key)
				}
				check = sumStr(s) + ":" + strconv.Itoa(int(x))
			case "delete":
				for _, key := range k.look64 {
					delete(m, key)
				}
				check = strconv.Itoa(n - len(m))
			default:
				continue
			}
			a.Ns[op] += float64(time.Since(t0).Nanoseconds())
			if op == "insert" {
				check = strconv.Itoa(len(m))
				if mem && j == 0 {
					a.Mem["heapInuse"] = (float64(heapInuse()) - float64(h0)) / float64(n)
				}
			}
			if j == 0 {
				a.Checks[op] = check
			}
		}
		runtime.KeepAlive(m)
	}
}

func turnStr(k *keys, inner int, ops []string, mem bool, a *answer) {
	n := k.n
	for j := 0; j < inner; j++ {
		var h0 uint64
		if mem && j == 0 {
			h0 = heapInuse()
		}
		m := make(map[string]uint32)
		for _, op := range ops {
			var check string
			t0 := time.Now()
			switch op {
			case "insert":
				for i, key := range k.insS {
					m[key] = uint32(i + 1)
				}
			case "hit", "miss":
				src := k.lookS
				if op == "miss" {
					src = k.misS
				}
				s := 0.0
				for _, key := range src {
					if v, ok := m[key]; ok {
						s += float64(v)
					}
				}
				check = sumStr(s)
			case "iterate":
				s, x := 0.0, 0
				for key, v := range m {
					s += float64(v)
					x += len(key)
				}
				check = sumStr(s) + ":" + strconv.Itoa(x)
			case "delete":
				for _, key := range k.lookS {
					delete(m, key)
				}
				check = strconv.Itoa(n - len(m))
			default:
				continue
			}
			a.Ns[op] += float64(time.Since(t0).Nanoseconds())
			if op == "insert" {
				check = strconv.Itoa(len(m))
				if mem && j == 0 {
					// The key strings were already on the heap (the key arrays):
					// this counts the map only.
					a.Mem["heapInuse"] = (float64(heapInuse()) - float64(h0)) / float64(n)
				}
			}
			if j == 0 {
				a.Checks[op] = check
			}
		}
		runtime.KeepAlive(m)
	}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<16), 1<<20)
	out := json.NewEncoder(os.Stdout)
	var k *keys
	for in.Scan() {
		f := strings.Fields(in.Text())
		a := answer{}
		switch {
		case len(f) == 1 && f[0] == "version":
			a.Ok, a.Go = true, runtime.Version()
		case len(f) == 4 && f[0] == "load":
			n, err := strconv.Atoi(f[2])
			if err == nil {
				k = nil
				runtime.GC()
				k, err = load(f[1], n, f[3])
			}
			if err != nil {
				a.Error = err.Error()
			} else {
				a.Ok = true
			}
		case len(f) == 4 && f[0] == "turn" && k != nil:
			inner, err := strconv.Atoi(f[1])
			if err != nil || inner < 1 {
				a.Error = "bad inner count"
				break
			}
			ops := strings.Split(f[2], ",")
			mem := f[3] == "1"
			a.Ns, a.Checks, a.Mem = map[string]float64{}, map[string]string{}, map[string]float64{}
			runtime.GC()
			switch k.kind {
			case "u32":
				turn32(k, inner, ops, mem, &a)
			case "u64":
				turn64(k, inner, ops, mem, &a)
			default:
				turnStr(k, inner, ops, mem, &a)
			}
			for op, t := range a.Ns {
				a.Ns[op] = t / float64(k.n*inner)
			}
			if !mem {
				a.Mem = nil
			}
		default:
			a.Error = fmt.Sprintf("bad command %q", in.Text())
		}
		if a.Ns != nil && math.IsNaN(a.Ns["insert"]) {
			a.Error = "NaN timing"
		}
		if err := out.Encode(&a); err != nil {
			os.Exit(1)
		}
	}
}
