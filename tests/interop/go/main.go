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

// delivery is one message handed to a push consumer's callback.
type delivery struct {
	at                 time.Time
	body, msgID, topic string
	reconsumeTimes     int32
	retryTopicProperty string
}

// recorder is a started clustering push consumer that records every delivery
// and answers ConsumeRetryLater for the first `failures` deliveries.
type recorder struct {
	c   rocketmq.PushConsumer
	mu  sync.Mutex
	got []delivery
}

func startRecorder(topic, group string, failures int) (*recorder, error) {
	r := &recorder{}
	c, err := rocketmq.NewPushConsumer(consumer.WithNsResolver(resolver()),
		consumer.WithGroupName(group), consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		return nil, err
	}
	sel := consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}
	err = c.Subscribe(topic, sel, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, m := range msgs {
			r.got = append(r.got, delivery{at: time.Now(), body: string(m.Body), msgID: m.MsgId, topic: m.Topic,
				reconsumeTimes: m.ReconsumeTimes, retryTopicProperty: m.GetProperty(primitive.PropertyRetryTopic)})
		}
		if len(r.got) <= failures {
			return consumer.ConsumeRetryLater, nil
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	r.c = c
	return r, nil
}

func (r *recorder) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// waitFor polls until at least n deliveries satisfy keep, or timeout passes.
func (r *recorder) waitFor(timeout time.Duration, n int, keep func(delivery) bool) []delivery {
	deadline := time.Now().Add(timeout)
	for {
		var out []delivery
		for _, d := range r.deliveries() {
			if keep(d) {
				out = append(out, d)
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sendOne sends one message (delay level > 0 ⇒ WithDelayTimeLevel) and returns its msgId.
func sendOne(topic, body string, delayLevel int) (string, error) {
	p, err := rocketmq.NewProducer(producer.WithNsResolver(resolver()),
		producer.WithGroupName(unique("PG_one_"+topic)), producer.WithRetry(0),
		producer.WithSendMsgTimeout(10*time.Second))
	if err != nil {
		return "", err
	}
	if err := p.Start(); err != nil {
		return "", err
	}
	defer p.Shutdown()
	m := primitive.NewMessage(topic, []byte(body))
	if delayLevel > 0 {
		m.WithDelayTimeLevel(delayLevel)
	}
	res, err := p.SendSync(context.Background(), m)
	if err != nil {
		return "", fmt.Errorf("send %s: %w", body, err)
	}
	if res.Status != primitive.SendOK {
		return "", fmt.Errorf("send %s: status %d", body, res.Status)
	}
	return res.MsgID, nil
}

// goDelayLevel2: a running consumer receives a level-2 (5 s) message no earlier
// than 4.5 s after the send, and within 30 s.
func goDelayLevel2() error {
	topic := unique("T_godelay")
	if err := createTopic(topic); err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	r, err := startRecorder(topic, unique("CG_godelay"), 0)
	if err != nil {
		return err
	}
	defer r.c.Shutdown()
	if _, err := sendOne(topic, "warm-up", 0); err != nil {
		return err
	}
	if len(r.waitFor(scenarioWait, 1, func(d delivery) bool { return d.body == "warm-up" })) < 1 {
		return fmt.Errorf("the consumer does not run: warm-up message not received")
	}
	time.Sleep(time.Second)
	sentAt := time.Now()
	msgID, err := sendOne(topic, "godelayed", 2)
	if err != nil {
		return err
	}
	mine := r.waitFor(scenarioWait, 1, func(d delivery) bool { return d.body == "godelayed" })
	if len(mine) < 1 {
		return fmt.Errorf("delayed message not received within %v", scenarioWait)
	}
	time.Sleep(time.Second)
	mine = r.waitFor(0, 1, func(d delivery) bool { return d.body == "godelayed" })
	delay := mine[0].at.Sub(sentAt)
	fmt.Printf("go_delay_level_2 measured delay: %d ms\n", delay.Milliseconds())
	if len(mine) != 1 {
		return fmt.Errorf("delivered %d times", len(mine))
	}
	if delay < 4500*time.Millisecond || delay > 30*time.Second {
		return fmt.Errorf("delivered %v after the send, want 4.5 s .. 30 s", delay)
	}
	if d := mine[0]; d.topic != topic || d.msgID != msgID || d.reconsumeTimes != 0 {
		return fmt.Errorf("delivery %+v, want topic %s msgId %s reconsumeTimes 0", d, topic, msgID)
	}
	return nil
}

// goRetryOnce: ConsumeRetryLater once ⇒ the message comes back (delay level 3,
// 10 s) with ReconsumeTimes 1, the same msgId and body, the original topic.
func goRetryOnce() error {
	topic := unique("T_goretry")
	if err := createTopic(topic); err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	msgID, err := sendOne(topic, "goretry", 0)
	if err != nil {
		return err
	}
	r, err := startRecorder(topic, unique("CG_goretry"), 1)
	if err != nil {
		return err
	}
	defer r.c.Shutdown()
	all := func(delivery) bool { return true }
	if got := r.waitFor(scenarioWait, 2, all); len(got) < 2 {
		return fmt.Errorf("redelivery not received: %+v", got)
	}
	time.Sleep(3 * time.Second) // a third delivery would show up here
	got := r.deliveries()
	if len(got) != 2 {
		return fmt.Errorf("delivered %d times, want 2: %+v", len(got), got)
	}
	for i, d := range got {
		if d.body != "goretry" || d.msgID != msgID || d.topic != topic || d.reconsumeTimes != int32(i) {
			return fmt.Errorf("delivery %d: %+v, want body goretry msgId %s topic %s reconsumeTimes %d",
				i, d, msgID, topic, i)
		}
	}
	if got[1].retryTopicProperty != topic {
		return fmt.Errorf("redelivery RETRY_TOPIC %q, want %q", got[1].retryTopicProperty, topic)
	}
	gap := got[1].at.Sub(got[0].at)
	fmt.Printf("go_retry_reconsume_later_once gap: %d ms\n", gap.Milliseconds())
	if gap < 9*time.Second {
		return fmt.Errorf("redelivered %v after the first delivery, want >= 9 s (delay level 3)", gap)
	}
	return nil
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
		{"go_delay_level_2", goDelayLevel2},
		{"go_retry_reconsume_later_once", goRetryOnce},
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
