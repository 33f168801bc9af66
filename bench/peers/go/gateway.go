// A minimal Go gateway with ws-gateway's protocol, as a comparison peer, written the way the
// Go ecosystem usually writes one: gorilla/websocket with one reader and one writer goroutine
// per socket and a buffered channel between them, redigo PSUBSCRIBE user_noti:* project:*:*,
// HS256 JWT from ?token= (golang-jwt), the same envelope checks for the benchmark's message
// types, one serialization per message shared by every socket of the user.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/gomodule/redigo/redis"
	"github.com/gorilla/websocket"
)

var (
	idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	types     = map[string]bool{"notification": true, "alert": true, "update": true, "project_progress": true, "project_completed": true}
	upgrader  = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024, CheckOrigin: func(*http.Request) bool { return true }}
)

type client struct {
	project string
	send    chan []byte
}

type hub struct {
	mu    sync.RWMutex
	users map[string]map[*client]struct{}
}

func (h *hub) add(user string, c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.users[user] == nil {
		h.users[user] = map[*client]struct{}{}
	}
	h.users[user][c] = struct{}{}
}

func (h *hub) remove(user string, c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.users[user], c)
	if len(h.users[user]) == 0 {
		delete(h.users, user)
	}
}

func (h *hub) deliver(user, project string, frame []byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.users[user] {
		if project != "" && c.project != "" && c.project != project {
			continue
		}
		select {
		case c.send <- frame:
		default: // slow consumer: drop, as a bounded queue must
		}
	}
}

func serveWs(h *hub, secret []byte, w http.ResponseWriter, r *http.Request) {
	token, err := jwt.Parse(r.URL.Query().Get("token"), func(t *jwt.Token) (interface{}, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}))
	var user string
	if err == nil {
		if claims, ok := token.Claims.(jwt.MapClaims); ok {
			user, _ = claims["sub"].(string)
		}
	}
	if !idPattern.MatchString(user) {
		http.Error(w, "", http.StatusUnauthorized)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	conn.SetReadLimit(4096)
	c := &client{project: r.URL.Query().Get("project_id"), send: make(chan []byte, 1024)}
	h.add(user, c)
	go func() { // writer
		for frame := range c.send {
			if conn.WriteMessage(websocket.TextMessage, frame) != nil {
				break
			}
		}
		conn.Close()
	}()
	defer func() { // reader
		h.remove(user, c)
		close(c.send)
	}()
	for {
		kind, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if kind != websocket.TextMessage {
			return
		}
		var m struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(data, &m) == nil && m.Type == "ping" {
			pong, _ := json.Marshal(map[string]string{"type": "pong", "timestamp": time.Now().UTC().Format(time.RFC3339)})
			select {
			case c.send <- pong:
			default:
			}
		}
	}
}

func subscribe(h *hub, url string) {
	for {
		conn, err := redis.DialURL(url)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		psc := redis.PubSubConn{Conn: conn}
		if psc.PSubscribe("user_noti:*", "project:*:*") != nil {
			conn.Close()
			continue
		}
		for {
			switch v := psc.Receive().(type) {
			case redis.Message:
				route(h, v.Channel, v.Data)
			case error:
				conn.Close()
				goto reconnect
			}
		}
	reconnect:
	}
}

func route(h *hub, channel string, data []byte) {
	parts := strings.Split(channel, ":")
	var user, project string
	if parts[0] == "user_noti" && len(parts) == 2 {
		user = parts[1]
	} else if parts[0] == "project" && len(parts) == 3 {
		project, user = parts[1], parts[2]
	}
	if !idPattern.MatchString(user) || (project != "" && !idPattern.MatchString(project)) {
		return
	}
	var msg struct {
		Type      string          `json:"type"`
		Payload   json.RawMessage `json:"payload"`
		Timestamp *string         `json:"timestamp"`
	}
	if json.Unmarshal(data, &msg) != nil || !types[msg.Type] || len(msg.Payload) == 0 || msg.Payload[0] != '{' {
		return
	}
	ts := time.Now().UTC().Format(time.RFC3339)
	if msg.Timestamp != nil {
		ts = *msg.Timestamp
	}
	frame, _ := json.Marshal(struct {
		Type      string          `json:"type"`
		Payload   json.RawMessage `json:"payload"`
		Timestamp string          `json:"timestamp"`
	}{msg.Type, msg.Payload, ts})
	h.deliver(user, project, frame)
}

func main() {
	listen := os.Getenv("WSGW_LISTEN")
	if listen == "" {
		listen = "127.0.0.1:8080"
	}
	secret := os.Getenv("WSGW_JWT_SECRET")
	if secret == "" {
		fmt.Fprintln(os.Stderr, "WSGW_JWT_SECRET is required")
		os.Exit(2)
	}
	redisURL := os.Getenv("WSGW_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	h := &hub{users: map[string]map[*client]struct{}{}}
	go subscribe(h, redisURL)
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"ok"}`)) }
	mux.HandleFunc("/healthz", ok)
	mux.HandleFunc("/readyz", ok)
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) { serveWs(h, []byte(secret), w, r) })
	log.Fatal(http.ListenAndServe(listen, mux))
}
