# etcd-ts as a drop-in for etcd's image: the binaries are at /usr/local/bin/etcd,
# /usr/local/bin/etcdctl and /usr/local/bin/etcdutl, so `docker run ... IMAGE
# /usr/local/bin/etcd --name node1 ...` lines written for quay.io/coreos/etcd work as they are.
FROM node:20-bookworm-slim AS build
WORKDIR /opt/etcd-ts
# Native addons (lmdb ships prebuilt binaries; the optional systemd notifier is compiled).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY . .
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
COPY --from=build /opt/etcd-ts /opt/etcd-ts
RUN for b in etcd etcdctl etcdutl; do ln -s /opt/etcd-ts/bin/$b /usr/local/bin/$b; done \
 && mkdir -p /var/etcd /var/lib/etcd
EXPOSE 2379 2380
CMD ["/usr/local/bin/etcd"]
