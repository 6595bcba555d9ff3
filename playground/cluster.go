package playground

import (
	"context"
	"fmt"
	"log/slog"

	"socketlab/playground/socketio"
	"socketlab/playground/socketio/redisadapter"
)

// DefaultRedisPrefix is the Node adapter's default key.
const DefaultRedisPrefix = "socket.io"

// Cluster joins this process's hubs to other servers (Socket Lab processes or Node socket.io
// servers with @socket.io/redis-adapter) through one Redis server. A hub is shared under a key:
// the -redis-prefix itself for socketlab run's and the bench server's one hub, so they meet Node
// servers using the same key; the prefix plus "-class-CODE" for a class, so classes never mix.
// Lesson demo instances are never shared.
type Cluster struct {
	redis  *redisadapter.Redis
	prefix string
	url    string // the cluster demo's servers use it too, under keys of their own
}

// NewCluster connects to the Redis server at url (redis://host:port/db) and checks it answers.
func NewCluster(ctx context.Context, url, prefix string, log *slog.Logger) (*Cluster, error) {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	r, err := redisadapter.New(ctx, url, redisadapter.Options{Key: prefix, Logger: log.With("component", "redis-adapter")})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	log.Info("hubs shared over Redis", "prefix", prefix)
	return &Cluster{redis: r, prefix: prefix, url: url}, nil
}

// Adapter is the adapter factory of a hub shared under the prefix followed by suffix.
func (c *Cluster) Adapter(suffix string) socketio.AdapterFactory {
	return c.redis.Factory(c.prefix + suffix)
}

// Stats returns the Redis adapter's counters (Lost counts what pub/sub dropped).
func (c *Cluster) Stats() redisadapter.Stats { return c.redis.Stats() }

// Close disconnects from Redis; close the hubs first.
func (c *Cluster) Close() error { return c.redis.Close() }
