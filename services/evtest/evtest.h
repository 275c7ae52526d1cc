/* zwfw-evtest internals: its own tables (schema evtest, created on start,
 * never by the deployment's migrations), the producer's writer threads and
 * the consumer's effect. */
#ifndef ZW_EVTEST_H
#define ZW_EVTEST_H

#include "db.h"
#include "error.h"
#include "events.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Creates schema evtest and its tables if missing (concurrent starts
 * serialise on an advisory lock). */
int evtest_store_setup(zw_db_t *db, zw_err_t *err);

/* The consumer's effect: one row in evtest.effect per applied event, with
 * no unique key, so an event applied twice shows as two rows. */
typedef struct {
    const char *consumer;
    int64_t fail_seq; /* the handler fails on this seq ... */
    int fail_times;   /* ... this many times (0: never) */
    int failed;       /* so far */
} evtest_effect_t;

/* A zw_event_handler_fn; arg is an evtest_effect_t. */
int evtest_effect(zw_db_t *db, const zw_event_t *ev, void *arg, zw_err_t *err);

typedef struct {
    const char *conninfo;
    const char *const *streams;
    size_t n_streams;
    long total;  /* events to write */
    int writers; /* threads, each with its own connection */
    double rate; /* events/s over all writers; 0 = as fast as possible */
    bool audit;  /* also append an audit entry per transaction */
    const volatile sig_atomic_t *stop;
} evtest_producer_config_t;

typedef struct evtest_producer evtest_producer_t;

/* Starts the writer threads. NULL on failure (message logged). */
evtest_producer_t *evtest_producer_start(const evtest_producer_config_t *cfg);

/* True once every writer thread has finished. */
bool evtest_producer_done(evtest_producer_t *self);

/* Joins the threads; returns how many transactions failed for good (0 is
 * success) and logs the rate. Frees self. */
long evtest_producer_finish(evtest_producer_t **self_p);

#endif
