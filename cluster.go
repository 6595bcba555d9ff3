package main

import (
	"context"
	"flag"
	"log/slog"
	"time"

	"socketlab/playground"
)

// clusterFlags are -redis and -redis-prefix, shared by serve, run and bench-server.
type clusterFlags struct{ url, prefix string }

func addClusterFlags(fs *flag.FlagSet, getenv func(string) string) *clusterFlags {
	c := &clusterFlags{}
	fs.StringVar(&c.url, "redis", getenv("SOCKETLAB_REDIS"), "share the hubs with other servers (Socket Lab or Node socket.io with @socket.io/redis-adapter 8.x) through the Redis server at `URL`, e.g. redis://127.0.0.1:6379 (env SOCKETLAB_REDIS); without it every hub stays in this process")
	fs.StringVar(&c.prefix, "redis-prefix", playground.DefaultRedisPrefix, "`key` prefixing the Redis channels, like the Node adapter's key option")
	return c
}

// open connects to Redis when -redis was given; nil otherwise.
func (c *clusterFlags) open(ctx context.Context, log *slog.Logger) (*playground.Cluster, error) {
	if c.url == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return playground.NewCluster(ctx, c.url, c.prefix, log)
}

// closeCluster disconnects from Redis, once the hubs are closed.
func closeCluster(c *playground.Cluster, log *slog.Logger) {
	if c == nil {
		return
	}
	if err := c.Close(); err != nil {
		log.Warn("closing the Redis connection", "err", err)
	}
}
