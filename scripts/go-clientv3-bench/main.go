// A second, independent load generator for `npm run bench`: the same workloads as
// bin/benchmark, driven through etcd's own Go client (clientv3 on grpc-go), so the
// ours/real ratios can be checked against a client that is not written in Node.
// Built by scripts/go-clientv3-bench.mjs against Debian's golang-etcd-server-dev sources.
//
// Prints one JSON line: {"rps":…,"p50":…,"p99":…,"ok":…,"errors":…,"firstError":…}
// with latencies in seconds, like bin/benchmark's report.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
)

type result struct {
	RPS        float64 `json:"rps"`
	P50        float64 `json:"p50"`
	P99        float64 `json:"p99"`
	OK         int     `json:"ok"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"firstError"`
}

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated client URLs or host:port")
	conns := flag.Int("conns", 1, "gRPC connections (clientv3 clients) shared by the workers")
	clients := flag.Int("clients", 1, "concurrent workers")
	total := flag.Int("total", 10000, "requests in all")
	workload := flag.String("workload", "put", "put | range-l | range-s | txn-put")
	valSize := flag.Int("val-size", 256, "value size in bytes")
	keySpace := flag.Int("key-space-size", 100000, "keys are 8-byte big-endian numbers modulo this")
	flag.Parse()

	cs := make([]*clientv3.Client, *conns)
	for i := range cs {
		c, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(*endpoints, ","), DialTimeout: 5 * time.Second})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer c.Close()
		cs[i] = c
	}
	value := strings.Repeat("v", *valSize)
	op := func(c *clientv3.Client, i int) error {
		key := make([]byte, 8)
		binary.BigEndian.PutUint64(key, uint64(i%*keySpace))
		ctx := context.Background()
		var err error
		switch *workload {
		case "put":
			_, err = c.Put(ctx, string(key), value)
		case "range-l":
			_, err = c.Get(ctx, "foo")
		case "range-s":
			_, err = c.Get(ctx, "foo", clientv3.WithSerializable())
		case "txn-put":
			_, err = c.Txn(ctx).Then(clientv3.OpPut(string(key), value)).Commit()
		default:
			err = fmt.Errorf("unknown workload %q", *workload)
		}
		return err
	}

	next := make(chan int, *clients)
	latencies := make([][]time.Duration, *clients)
	var mu sync.Mutex
	res := result{}
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := cs[w%len(cs)]
			for i := range next {
				t0 := time.Now()
				if err := op(c, i); err != nil {
					mu.Lock()
					if res.Errors == 0 {
						res.FirstError = err.Error()
					}
					res.Errors++
					mu.Unlock()
					continue
				}
				latencies[w] = append(latencies[w], time.Since(t0))
			}
		}(w)
	}
	for i := 0; i < *total; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)

	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	at := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return all[int(float64(len(all)-1)*p)].Seconds()
	}
	res.OK = len(all)
	res.RPS = float64(len(all)) / elapsed.Seconds()
	res.P50, res.P99 = at(0.50), at(0.99)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
