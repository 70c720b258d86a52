/* Unguessable identifiers: ETags, To-tags, Call-IDs and the like that an
 * attacker who can send requests must not be able to predict (RFC 3261
 * s19.3 asks for cryptographically random tags; an ETag guessed from time,
 * PID and a counter lets anyone who may PUBLISH to an AOR modify another
 * device's publication). Bytes come from the kernel's CSPRNG
 * (getrandom), so two instances on one database never collide either. */
#ifndef LP_RAND_H
#define LP_RAND_H

#include <stddef.h>

/* Bits of randomness in one token. */
#define LP_TOKEN_BITS 128
/* Characters of a token: lowercase hex, two per byte. */
#define LP_TOKEN_LEN (LP_TOKEN_BITS / 4)

/* lp_rand_bytes: n random bytes into buf. 0, or -1 when the kernel gives
 * none (buf is then unspecified: never use it). */
int lp_rand_bytes(void *buf, size_t n);

/* lp_rand_token: LP_TOKEN_LEN hex characters and a NUL into buf (size must
 * be > LP_TOKEN_LEN). Returns LP_TOKEN_LEN, or -1 (buf holds "") when no
 * randomness is available. The bytes come from a per-thread pool of kernel
 * random bytes (one getrandom() per 32 tokens), emptied in a forked child:
 * thread-safe, fork-safe. */
int lp_rand_token(char *buf, size_t size);

/* How many times this process refilled a token pool from the kernel (a
 * test counter). */
unsigned long lp_rand_refills(void);

#endif
