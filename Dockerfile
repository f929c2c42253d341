# mote in an empty image: the static binary and nothing else. Build it first with `make static`
# (or just `make docker`, which does both).
FROM scratch
COPY target/mote /mote
EXPOSE 8080 8082
STOPSIGNAL SIGTERM
ENTRYPOINT ["/mote"]
