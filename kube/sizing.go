package kube

import (
	"fmt"
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/originproof/originproof/scenarios"
)

// Generator costs, as internal/bench/RESULTS.md measures them (`make bench`,
// 2-vCPU VM, Go 1.26): a keep-alive mTLS request costs 366–379 µs of
// generator CPU, about 2,600 requests per CPU-second; a full mTLS handshake
// with its request, about 1,165 per CPU-second (saturated, 4 workers); peak
// RSS is about 40 MiB at 1,000 requests/s over 4 pops, flat in run length.
const (
	pooledPerCPUSecond     = 2600
	handshakesPerCPUSecond = 1150
	measuredRSSMiB         = 40
	// perConnKiB is what one open connection may hold (TLS records,
	// bufio buffers, the goroutines of net/http's persistConn).
	perConnKiB = 64
	// cpuHeadroom: a generator short of CPU falls behind its schedule (it
	// says so, and latency is measured from the intended send time, but
	// the origin then sees less than asked).
	cpuHeadroom = 1.5
	minCPUMilli = 500
	minMemMiB   = 128
)

// shardLoad is what one shard must generate at the scenario's peak.
type shardLoad struct {
	peakRate   float64 // requests per second, this shard's share
	handshakes bool    // the peak is a handshake per request (reuse off, or an idle-gap storm)
	conns      int     // connections the shard's pools may open
	cpu        float64 // CPU cores the peak costs, before headroom
}

// estimate works out a shard's peak: the highest rate of any phase divided
// by the shards, costed as handshakes when the phase makes every request
// (reuse off) or every connection (an idle-gap storm) handshake.
func estimate(s *scenarios.Scenario, shards int) shardLoad {
	l := shardLoad{conns: *s.Pooling.Pops * *s.Pooling.MaxConns}
	reuse := *s.Pooling.Reuse
	for _, ph := range s.Load.Phases {
		peak := ph.Rate
		switch ph.Kind {
		case "ramp":
			peak = math.Max(ph.From, ph.To)
		case "steps":
			peak = 0
			for _, r := range ph.Rates {
				peak = math.Max(peak, r)
			}
		}
		peak /= float64(shards)
		hs := !reuse || ph.Kind == "idle-gap-storm"
		perSecond := float64(pooledPerCPUSecond)
		if hs {
			perSecond = handshakesPerCPUSecond
		}
		if cpu := peak / perSecond; cpu > l.cpu || (cpu == l.cpu && hs) {
			l.cpu, l.peakRate, l.handshakes = cpu, peak, hs
		}
	}
	return l
}

// resources sizes a shard's container: CPU request = peak cost × headroom
// (at least minCPUMilli), limit twice that (at least one core: CFS
// throttling shows up as latency the origin did not cause); memory twice
// the measured RSS plus what the connections may hold, request = limit (a
// generator killed for memory loses its run).
func (l shardLoad) resources() corev1.ResourceRequirements {
	reqMilli := int64(math.Ceil(l.cpu*cpuHeadroom*10)) * 100
	reqMilli = max(reqMilli, minCPUMilli)
	limMilli := max(2*reqMilli, 1000)
	memMiB := int64(2 * (measuredRSSMiB + math.Ceil(float64(l.conns*perConnKiB)/1024)))
	memMiB = max((memMiB+15)/16*16, minMemMiB)
	mem := *resource.NewQuantity(memMiB<<20, resource.BinarySI)
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(reqMilli, resource.DecimalSI), corev1.ResourceMemory: mem},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(limMilli, resource.DecimalSI), corev1.ResourceMemory: mem},
	}
}

// describe says how the figures were reached, for the YAML's header.
func (l shardLoad) describe(r corev1.ResourceRequirements) string {
	kind, per := "pooled requests", pooledPerCPUSecond
	if l.handshakes {
		kind, per = "full mTLS handshakes", handshakesPerCPUSecond
	}
	cpuReq, cpuLim, mem := r.Requests[corev1.ResourceCPU], r.Limits[corev1.ResourceCPU], r.Limits[corev1.ResourceMemory]
	return fmt.Sprintf("peak %.1f/s of %s per shard ≈ %.2f CPU at %d per CPU-second (internal/bench/RESULTS.md) → cpu request %s, limit %s; memory %s for %d connections",
		l.peakRate, kind, l.cpu, per, cpuReq.String(), cpuLim.String(), mem.String(), l.conns)
}

// mergeResources sizes the merge Job: it streams the shards' results and
// merges histograms, one core at most.
func mergeResources() corev1.ResourceRequirements {
	mem := resource.MustParse("512Mi")
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: mem},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: mem},
	}
}

// resultBytesPerRequest is what one request costs on the results claim: a
// results.json line is about 550 bytes, written by its shard and again by
// the merge.
const resultBytesPerRequest = 1200

// claimSize sizes the results claim for a run of requests, plus 64 MiB per
// shard for the other outputs (histograms, reports); at least 1 GiB, in
// whole GiB.
func claimSize(requests int64, shards int) resource.Quantity {
	b := requests*resultBytesPerRequest + int64(shards)*64<<20
	gib := max((b+(1<<30)-1)>>30, 1)
	return *resource.NewQuantity(gib<<30, resource.BinarySI)
}
