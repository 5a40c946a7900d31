// Command interop runs the Go client scenarios of the interop suite (issue 6)
// against a running Thrust name server and broker, with the unchanged
// github.com/apache/rocketmq-client-go/v2. It appends one "PASS|FAIL go
// <scenario>" line per scenario to -results (and prints it), and exits 1 if
// any failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// scenarioWait bounds every wait of one scenario.
const scenarioWait = 60 * time.Second

var (
	namesrv = flag.String("namesrv", "127.0.0.1:9876", "name server host:port")
	broker  = flag.String("broker", "127.0.0.1:10911", "broker host:port (for topic creation)")
	results = flag.String("results", "", "file to append PASS/FAIL lines to")
	run     = time.Now().UnixNano() % 1_000_000_000
)

func unique(prefix string) string {
	return fmt.Sprintf("%s_go_%d", prefix, run)
}

func resolver() primitive.NsResolver {
	return primitive.NewPassthroughResolver([]string{*namesrv})
}

// createTopic creates topic on the broker with 4 queues (UPDATE_AND_CREATE_TOPIC).
func createTopic(topic string) error {
	a, err := admin.NewAdmin(admin.WithResolver(resolver()))
	if err != nil {
		return err
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(*broker),
		admin.WithReadQueueNums(4), admin.WithWriteQueueNums(4))
}

type sent struct {
	body, tag, key string
}

// sendAll sends msgs synchronously and checks each result is SEND_OK.
func sendAll(topic string, msgs []sent) error {
	p, err := rocketmq.NewProducer(producer.WithNsResolver(resolver()),
		producer.WithGroupName(unique("PG_"+topic)), producer.WithRetry(0),
		producer.WithSendMsgTimeout(10*time.Second))
	if err != nil {
		return err
	}
	if err := p.Start(); err != nil {
		return err
	}
	defer p.Shutdown()
	for _, s := range msgs {
		m := primitive.NewMessage(topic, []byte(s.body))
		if s.tag != "" {
			m.WithTag(s.tag)
		}
		if s.key != "" {
			m.WithKeys([]string{s.key})
		}
		m.WithProperty("idx", s.body)
		res, err := p.SendSync(context.Background(), m)
		if err != nil {
			return fmt.Errorf("send %s: %w", s.body, err)
		}
		if res.Status != primitive.SendOK {
			return fmt.Errorf("send %s: status %d", s.body, res.Status)
		}
		if res.MsgID == "" || res.MessageQueue == nil || res.MessageQueue.Topic != topic {
			return fmt.Errorf("send %s: incomplete result %v", s.body, res)
		}
	}
	return nil
}

// consume runs a clustering push consumer until want messages arrived (or the
// bounded wait passed) and one more second, and returns what it received.
func consume(topic, group, expr string, want int) ([]*primitive.MessageExt, error) {
	var mu sync.Mutex
	var got []*primitive.MessageExt
	c, err := rocketmq.NewPushConsumer(consumer.WithNsResolver(resolver()),
		consumer.WithGroupName(group), consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		return nil, err
	}
	sel := consumer.MessageSelector{Type: consumer.TAG, Expression: expr}
	err = c.Subscribe(topic, sel, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		got = append(got, msgs...)
		mu.Unlock()
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	defer c.Shutdown()
	deadline := time.Now().Add(scenarioWait)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= want {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	mu.Lock()
	defer mu.Unlock()
	return append([]*primitive.MessageExt(nil), got...), nil
}

func bodies(msgs []*primitive.MessageExt) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, string(m.Body))
	}
	sort.Strings(out)
	return out
}

func sameBodies(got []*primitive.MessageExt, want []string) error {
	g := bodies(got)
	w := append([]string(nil), want...)
	sort.Strings(w)
	if strings.Join(g, ",") != strings.Join(w, ",") {
		return fmt.Errorf("received %d %v, want %d %v", len(g), g, len(w), w)
	}
	return nil
}

func goSendSync() error {
	topic := unique("T_gosend")
	if err := createTopic(topic); err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	var msgs []sent
	var want []string
	for i := 0; i < 10; i++ {
		b := fmt.Sprintf("gosync-%d", i)
		msgs = append(msgs, sent{body: b})
		want = append(want, b)
	}
	if err := sendAll(topic, msgs); err != nil {
		return err
	}
	got, err := consume(topic, unique("CG_gosend"), "*", len(want))
	if err != nil {
		return err
	}
	return sameBodies(got, want)
}

func goPushClustering() error {
	topic := unique("T_gopush")
	if err := createTopic(topic); err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	var msgs []sent
	var want []string
	for i := 0; i < 20; i++ {
		s := sent{body: fmt.Sprintf("gopush-%d", i), tag: fmt.Sprintf("Tag%d", i%3), key: fmt.Sprintf("key-%d", i)}
		msgs = append(msgs, s)
		want = append(want, s.body)
	}
	before := time.Now().Add(-time.Second).UnixMilli()
	if err := sendAll(topic, msgs); err != nil {
		return err
	}
	got, err := consume(topic, unique("CG_gopush"), "*", len(want))
	if err != nil {
		return err
	}
	if err := sameBodies(got, want); err != nil {
		return err
	}
	bySent := map[string]sent{}
	for _, s := range msgs {
		bySent[s.body] = s
	}
	for _, m := range got {
		s := bySent[string(m.Body)]
		if m.GetTags() != s.tag || m.GetKeys() != s.key || m.GetProperty("idx") != s.body {
			return fmt.Errorf("%s: tag %q keys %q idx %q, want %q %q %q", s.body, m.GetTags(), m.GetKeys(),
				m.GetProperty("idx"), s.tag, s.key, s.body)
		}
		if m.BornTimestamp < before || m.BornTimestamp > time.Now().UnixMilli() {
			return fmt.Errorf("%s: born timestamp %d", s.body, m.BornTimestamp)
		}
		if m.MsgId == "" || m.Topic != topic {
			return fmt.Errorf("%s: msgId %q topic %q", s.body, m.MsgId, m.Topic)
		}
	}
	return nil
}

func goTagFilter() error {
	topic := unique("T_gotags")
	if err := createTopic(topic); err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	tags := []string{"TagA", "TagB", "TagC", "TagAB"}
	var msgs []sent
	var want []string
	for i := 0; i < 24; i++ {
		t := tags[i%len(tags)]
		s := sent{body: fmt.Sprintf("%s-%d", t, i), tag: t}
		msgs = append(msgs, s)
		if t == "TagA" || t == "TagB" {
			want = append(want, s.body)
		}
	}
	if err := sendAll(topic, msgs); err != nil {
		return err
	}
	got, err := consume(topic, unique("CG_gotags"), "TagA || TagB", len(want))
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	return sameBodies(got, want)
}

func report(verdict, scenario string, err error) {
	line := verdict + " go " + scenario
	if err != nil {
		line += "  # " + strings.Join(strings.Fields(err.Error()), " ")
	}
	fmt.Println(line)
	if *results == "" {
		return
	}
	f, ferr := os.OpenFile(*results, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if ferr != nil {
		fmt.Fprintln(os.Stderr, ferr)
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

func main() {
	flag.Parse()
	rlog.SetLogLevel("error")
	failed := false
	for _, s := range []struct {
		name string
		fn   func() error
	}{
		{"go_send_sync", goSendSync},
		{"go_push_clustering", goPushClustering},
		{"go_tag_filter", goTagFilter},
	} {
		done := make(chan error, 1)
		go func() { done <- s.fn() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(2 * scenarioWait):
			err = fmt.Errorf("timed out")
		}
		if err != nil {
			failed = true
			report("FAIL", s.name, err)
		} else {
			report("PASS", s.name, nil)
		}
	}
	if failed {
		os.Exit(1)
	}
}
