/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_ring: SPSC rings of tw_ipc messages in a POSIX shared-memory region.
 * The layout, the roles and the no-silent-loss rule are described in
 * tw_ring.h and docs/ipc.md; this file only implements them.
 */
#include "tw_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "shared 64-bit atomics must be lock-free");

struct tw_ring {
	uint8_t *base;
	size_t len;
	int creator;
	int ro;
	unsigned n_evt;
	unsigned n_lcores;
	unsigned n_ports;
	uint64_t ports_off; /* validated at attach: the region's is not read again */
	struct tw_ring_super *sb;
	uint32_t claimed_pid; /* write attach: the ctl_pid this process claimed */
	uint32_t pad0;
	dev_t dev; /* the object attached to (tw_ring_replaced) */
	ino_t ino;
	struct tw_ring_q cmd;
	struct tw_ring_q evt[TW_RING_MAX_EVT];
	char name[TW_RING_NAME_MAX];
};

/* ======================================================================== */

static void why_set(char *why, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void why_set(char *why, size_t n, const char *fmt, ...)
{
	if (!why || !n)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

static enum tw_err fail_sys(int e, char *why, size_t n, const char *what, const char *name)
{
	why_set(why, n, "%s %s: %s", what, name, strerror(e));
	errno = e;
	return TW_E_SYS;
}

static int norm_name(const char *in, char out[TW_RING_NAME_MAX])
{
	if (!in || !*in)
		return -1;
	int n = snprintf(out, TW_RING_NAME_MAX, "%s%s", in[0] == '/' ? "" : "/", in);
	if (n < 2 || n >= (int)TW_RING_NAME_MAX || strchr(out + 1, '/'))
		return -1;
	return 0;
}

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint64_t ld_relaxed(const _Atomic uint64_t *a)
{
	return atomic_load_explicit((_Atomic uint64_t *)a, memory_order_relaxed);
}

/* Single-writer counter bump: a plain load and store, no locked instruction. */
static void bump(_Atomic uint64_t *a, uint64_t n)
{
	atomic_store_explicit(a, atomic_load_explicit(a, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

uint64_t tw_ring_layout_hash(void)
{
	uint64_t h = tw_ipc_layout_hash();
	const uint64_t v[] = {sizeof(struct tw_ring_super),
	                      sizeof(struct tw_ring_shm),
	                      sizeof(struct tw_ring_prod),
	                      sizeof(struct tw_ring_cons),
	                      TW_RING_ALIGN,
	                      TW_RING_MAGIC,
	                      offsetof(struct tw_ring_super, ready),
	                      offsetof(struct tw_ring_super, ctl_pid)};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (int b = 0; b < 8; b++) {
			h ^= (uint8_t)(v[i] >> (8 * b));
			h *= 0x100000001b3ull;
		}
	return h;
}

static void q_init(struct tw_ring_q *q, struct tw_ring *r, struct tw_ring_shm *sh,
                   enum tw_ring_role role)
{
	memset(q, 0, sizeof(*q));
	q->sh = sh;
	q->data = r->base + sh->data_off;
	q->size = sh->size;
	q->mask = sh->size - 1;
	q->max_rec = sh->size / 2 < TW_IPC_MSG_MAX ? sh->size / 2 : TW_IPC_MSG_MAX;
	q->role = (uint8_t)role;
	q->dir = sh->dir;
	uint64_t head = atomic_load_explicit(&sh->prod.head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&sh->cons.tail, memory_order_acquire);
	if (role == TW_RING_ROLE_PRODUCER) {
		q->pos = head;
		q->other = tail;
	} else {
		q->pos = tail;
		q->other = head;
	}
}

static struct tw_ring_shm *ring_shm(struct tw_ring *r, unsigned i)
{
	return (struct tw_ring_shm *)(r->base + r->sb->rings_off +
	                              (uint64_t)i * sizeof(struct tw_ring_shm));
}

static void setup_queues(struct tw_ring *r)
{
	enum tw_ring_role cmd_role, evt_role;
	if (r->ro)
		cmd_role = evt_role = TW_RING_ROLE_NONE;
	else if (r->creator)
		cmd_role = TW_RING_ROLE_CONSUMER, evt_role = TW_RING_ROLE_PRODUCER;
	else
		cmd_role = TW_RING_ROLE_PRODUCER, evt_role = TW_RING_ROLE_CONSUMER;
	q_init(&r->cmd, r, ring_shm(r, 0), cmd_role);
	for (unsigned i = 0; i < r->n_evt; i++)
		q_init(&r->evt[i], r, ring_shm(r, 1 + i), evt_role);
}

/* ======================================================================== */
/* Life cycle                                                                */
/* ======================================================================== */

enum tw_err tw_ring_create(const struct tw_ring_cfg *cfg, struct tw_ring **out, char *why,
                           size_t why_len)
{
	char name[TW_RING_NAME_MAX];
	*out = NULL;
	if (!cfg || norm_name(cfg->name, name)) {
		why_set(why, why_len, "bad shm name (want \"/name\", < %u chars, no other '/')",
		        TW_RING_NAME_MAX);
		return TW_E_ARG;
	}
	uint32_t cmd_size = cfg->cmd_size ? cfg->cmd_size : TW_RING_DEFAULT_CMD_SIZE;
	uint32_t evt_size = cfg->evt_size ? cfg->evt_size : TW_RING_DEFAULT_EVT_SIZE;
	if (!is_pow2(cmd_size) || !is_pow2(evt_size) || cmd_size < TW_RING_MIN_SIZE ||
	    evt_size < TW_RING_MIN_SIZE || cmd_size > TW_RING_MAX_SIZE ||
	    evt_size > TW_RING_MAX_SIZE) {
		why_set(why, why_len, "ring sizes must be powers of two in [%u, %u] octets",
		        TW_RING_MIN_SIZE, TW_RING_MAX_SIZE);
		return TW_E_ARG;
	}
	if (cfg->n_evt < 1 || cfg->n_evt > TW_RING_MAX_EVT || cfg->n_lcores < 1 ||
	    cfg->n_lcores > TW_RING_MAX_LCORE || cfg->n_ports > TW_IPC_PORTS_MAX) {
		why_set(why, why_len,
		        "need 1..%u event rings, 1..%u counter blocks and 0..%u port blocks",
		        TW_RING_MAX_EVT, TW_RING_MAX_LCORE, TW_IPC_PORTS_MAX);
		return TW_E_ARG;
	}

	uint64_t rings_off = align_up(sizeof(struct tw_ring_super), 64);
	uint64_t cnt_off =
	    align_up(rings_off + (1u + cfg->n_evt) * (uint64_t)sizeof(struct tw_ring_shm), 64);
	uint64_t ports_off =
	    align_up(cnt_off + cfg->n_lcores * (uint64_t)sizeof(struct tw_ipc_counters), 64);
	uint64_t data_off =
	    align_up(ports_off + cfg->n_ports * (uint64_t)sizeof(struct tw_ipc_port_stats), 4096);
	uint64_t total = data_off + cmd_size + (uint64_t)cfg->n_evt * evt_size;

	struct tw_ring *r = calloc(1, sizeof(*r));
	if (!r)
		return fail_sys(ENOMEM, why, why_len, "allocating handle for", name);
	memcpy(r->name, name, sizeof(name));

	/* A previous fast path may have died without destroying its region; an
	 * attached control process keeps its (unlinked) mapping and notices the
	 * dead heartbeat / creator pid, then re-attaches to the new one. */
	(void)shm_unlink(name);
	mode_t mode = cfg->mode ? (mode_t)cfg->mode : 0600;
	if (mode & ~(mode_t)0660) {
		free(r);
		why_set(why, why_len, "shm mode %04o: only owner and group bits (at most 0660)",
		        (unsigned)mode);
		return TW_E_ARG;
	}
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, mode);
	if (fd < 0) {
		int e = errno;
		free(r);
		return fail_sys(e, why, why_len, "shm_open", name);
	}
	/* The mode exactly (shm_open applies the umask), and the group the
	 * control plane runs as, so that it can re-attach after dropping
	 * privileges (docs/ipc.md, trust boundary). */
	if ((cfg->set_gid && fchown(fd, (uid_t)-1, (gid_t)cfg->gid) < 0) || fchmod(fd, mode) < 0) {
		int e = errno;
		close(fd);
		shm_unlink(name);
		free(r);
		return fail_sys(e, why, why_len, "setting group/mode of", name);
	}
	/* Until this ftruncate the object is 0 octets long: attach sees that with
	 * fstat and says "not ready" instead of mapping it (SIGBUS race). */
	if (ftruncate(fd, (off_t)total) < 0) {
		int e = errno;
		close(fd);
		shm_unlink(name);
		free(r);
		return fail_sys(e, why, why_len, "ftruncate", name);
	}
	void *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (base == MAP_FAILED) {
		shm_unlink(name);
		free(r);
		return fail_sys(e, why, why_len, "mmap", name);
	}
	r->base = base;
	r->len = total;
	r->creator = 1;
	r->n_evt = cfg->n_evt;
	r->n_lcores = cfg->n_lcores;
	r->n_ports = cfg->n_ports;
	r->ports_off = ports_off;
	r->sb = base;

	/* The object is zero-filled, so `ready` is 0 until the store below. */
	struct tw_ring_super *sb = r->sb;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	sb->magic = TW_RING_MAGIC;
	sb->ipc_version = TW_IPC_VERSION;
	sb->super_size = sizeof(*sb);
	sb->layout_hash = tw_ring_layout_hash();
	sb->region_size = total;
	sb->creator_pid = (uint32_t)getpid();
	sb->n_evt = cfg->n_evt;
	sb->n_lcores = cfg->n_lcores;
	sb->cmd_size = cmd_size;
	sb->evt_size = evt_size;
	sb->n_counters = TW_IPC_CNT__COUNT;
	sb->created_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	sb->rings_off = rings_off;
	sb->counters_off = cnt_off;
	sb->ring_stride = sizeof(struct tw_ring_shm);
	sb->counters_stride = sizeof(struct tw_ipc_counters);
	sb->ports_off = ports_off;
	sb->n_ports = cfg->n_ports;
	sb->port_stride = sizeof(struct tw_ipc_port_stats);
	for (unsigned i = 0; i < cfg->n_ports; i++)
		tw_ring_port_stats(r, i)->port = (uint16_t)i;
	uint64_t off = data_off;
	for (unsigned i = 0; i < 1u + cfg->n_evt; i++) {
		struct tw_ring_shm *sh = ring_shm(r, i);
		sh->data_off = off;
		sh->size = i ? evt_size : cmd_size;
		sh->dir = i ? TW_IPC_DIR_EVT : TW_IPC_DIR_CMD;
		off += sh->size;
	}
	setup_queues(r);
	atomic_store_explicit(&sb->ready, TW_RING_READY, memory_order_release);
	*out = r;
	return TW_OK;
}

static enum tw_err bad_region(struct tw_ring *r, char *why, size_t n, const char *what)
{
	why_set(why, n, "shm %s is corrupt: %s", r->name, what);
	munmap(r->base, r->len);
	free(r);
	errno = EINVAL;
	return TW_E_SYS;
}

static int pid_alive(uint32_t pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

enum tw_err tw_ring_attach(const char *name_in, unsigned flags, struct tw_ring **out, char *why,
                           size_t why_len)
{
	char name[TW_RING_NAME_MAX];
	*out = NULL;
	if (norm_name(name_in, name)) {
		why_set(why, why_len, "bad shm name");
		return TW_E_ARG;
	}
	int ro = (flags & TW_RING_ATTACH_RO) != 0;
	int fd = shm_open(name, ro ? O_RDONLY : O_RDWR, 0);
	if (fd < 0) {
		int e = errno;
		/* The usual cause after a privilege drop: the fast path (root)
		 * made the region without our group or without group access
		 * (its default is 0600).  Say what fixes it. */
		if (e == EACCES) {
			why_set(why, why_len,
			        "shm_open %s: %s (we are uid %u gid %u: twinhop-fp must create it "
			        "with --shm-group of our gid and --shm-mode 0660)",
			        name, strerror(e), (unsigned)geteuid(), (unsigned)getegid());
			errno = e;
			return TW_E_SYS;
		}
		return fail_sys(e, why, why_len, e == ENOENT ? "no fast path region" : "shm_open",
		                name);
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return fail_sys(e, why, why_len, "fstat", name);
	}
	/* Whoever can create this name can feed us a region and read the test
	 * keys we write into it: accept only an object of root (the fast path)
	 * or of our own user, that other users can neither read nor write
	 * (OpenSSH StrictModes).  Checked on the open descriptor: no race. */
	uid_t euid = geteuid();
	if ((st.st_uid != 0 && st.st_uid != euid) || (st.st_mode & (S_IROTH | S_IWOTH))) {
		close(fd);
		why_set(why, why_len,
		        "shm %s has owner uid %u and mode %04o; want owner root or uid %u and no "
		        "access for others: refusing it",
		        name, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), (unsigned)euid);
		errno = EPERM;
		return TW_E_SYS;
	}
	/* Mapping beyond the object's size would SIGBUS on first touch: an
	 * object shorter than a superblock is still being created. */
	if ((uint64_t)st.st_size < sizeof(struct tw_ring_super)) {
		close(fd);
		why_set(why, why_len, "shm %s is being created (size %lld): retry", name,
		        (long long)st.st_size);
		errno = EAGAIN;
		return TW_E_SYS;
	}
	size_t len = (size_t)st.st_size;
	void *base = mmap(NULL, len, ro ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (base == MAP_FAILED)
		return fail_sys(e, why, why_len, "mmap", name);

	struct tw_ring *r = calloc(1, sizeof(*r));
	if (!r) {
		munmap(base, len);
		return fail_sys(ENOMEM, why, why_len, "allocating handle for", name);
	}
	memcpy(r->name, name, sizeof(name));
	r->base = base;
	r->len = len;
	r->ro = ro;
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->sb = base;
	struct tw_ring_super *sb = r->sb;

	/* The acquire pairs with the creator's release: every field written
	 * before `ready` is visible after it. */
	uint32_t ready = atomic_load_explicit(&sb->ready, memory_order_acquire);
	if (ready != TW_RING_READY) {
		why_set(why, why_len,
		        ready == TW_RING_GONE ? "shm %s was destroyed by its fast path"
		                              : "shm %s is not initialised yet: retry",
		        name);
		munmap(base, len);
		free(r);
		errno = ready == TW_RING_GONE ? ENOENT : EAGAIN;
		return TW_E_SYS;
	}
	uint64_t want_hash = tw_ring_layout_hash();
	if (sb->magic != TW_RING_MAGIC) {
		why_set(why, why_len, "shm %s is not a twinhop IPC region (magic %016llx)", name,
		        (unsigned long long)sb->magic);
		goto version;
	}
	if (sb->ipc_version != TW_IPC_VERSION || sb->layout_hash != want_hash ||
	    sb->super_size != sizeof(*sb)) {
		why_set(why, why_len,
		        "shm %s speaks IPC version %u (layout %016llx), this program version %u "
		        "(layout %016llx): rebuild twinhopd and twinhop-fp from the same tree",
		        name, sb->ipc_version, (unsigned long long)sb->layout_hash, TW_IPC_VERSION,
		        (unsigned long long)want_hash);
		goto version;
	}

	/* Same contract: now check the geometry before trusting any offset. */
	if (sb->region_size != len)
		return bad_region(r, why, why_len, "region_size differs from the object size");
	if (sb->n_evt < 1 || sb->n_evt > TW_RING_MAX_EVT || sb->n_lcores < 1 ||
	    sb->n_lcores > TW_RING_MAX_LCORE || sb->ring_stride != sizeof(struct tw_ring_shm) ||
	    sb->counters_stride != sizeof(struct tw_ipc_counters) ||
	    sb->n_counters != TW_IPC_CNT__COUNT || sb->n_ports > TW_IPC_PORTS_MAX ||
	    sb->port_stride != sizeof(struct tw_ipc_port_stats))
		return bad_region(r, why, why_len, "counts or strides out of range");
	if (sb->rings_off < sizeof(*sb) || sb->rings_off % 64 ||
	    sb->rings_off + (1ull + sb->n_evt) * sizeof(struct tw_ring_shm) > len ||
	    sb->counters_off % 64 ||
	    sb->counters_off + (uint64_t)sb->n_lcores * sizeof(struct tw_ipc_counters) > len ||
	    sb->ports_off % 64 || sb->ports_off > len ||
	    (uint64_t)sb->n_ports * sizeof(struct tw_ipc_port_stats) > len - sb->ports_off)
		return bad_region(r, why, why_len, "ring, counter or port offsets out of range");
	r->n_evt = sb->n_evt;
	r->n_lcores = sb->n_lcores;
	r->n_ports = sb->n_ports;
	r->ports_off = sb->ports_off;
	for (unsigned i = 0; i < 1u + r->n_evt; i++) {
		struct tw_ring_shm *sh = ring_shm(r, i);
		uint32_t want = i ? sb->evt_size : sb->cmd_size;
		if (sh->size != want || !is_pow2(sh->size) || sh->size < TW_RING_MIN_SIZE ||
		    sh->data_off % TW_RING_ALIGN || sh->data_off > len ||
		    sh->size > len - sh->data_off ||
		    sh->dir != (i ? TW_IPC_DIR_EVT : TW_IPC_DIR_CMD))
			return bad_region(r, why, why_len, "ring geometry out of range");
	}

	if (!ro && !pid_alive(sb->creator_pid)) {
		/* A fast path killed without tw_ring_destroy() leaves its region
		 * READY: writing commands into it would be lost, and its successor
		 * unlinks and replaces it.  A monitor may still read it. */
		why_set(why, why_len,
		        "shm %s belongs to fast path pid %u, which is gone: waiting for a new one",
		        name, sb->creator_pid);
		munmap(base, len);
		free(r);
		errno = ESRCH;
		return TW_E_SYS;
	}
	if (!ro) {
		/* One writer per ring end: claim the control side. */
		uint32_t me = (uint32_t)getpid();
		uint32_t cur = 0;
		while (!atomic_compare_exchange_strong(&sb->ctl_pid, &cur, me)) {
			if (cur == me || !pid_alive(cur))
				continue; /* stale claim (a dead twinhopd): take it over */
			why_set(why, why_len,
			        "shm %s already has a control process (pid %u); use a read-only "
			        "attach to monitor",
			        name, cur);
			munmap(base, len);
			free(r);
			errno = EBUSY;
			return TW_E_SYS;
		}
		atomic_fetch_add(&sb->ctl_attaches, 1);
		r->claimed_pid = me;
	}
	setup_queues(r);
	*out = r;
	return TW_OK;

version:
	munmap(base, len);
	free(r);
	return TW_E_VERSION;
}

void tw_ring_detach(struct tw_ring *r)
{
	if (!r)
		return;
	if (!r->creator && !r->ro) {
		uint32_t me = (uint32_t)getpid();
		atomic_compare_exchange_strong(&r->sb->ctl_pid, &me, 0);
	}
	munmap(r->base, r->len);
	free(r);
}

enum tw_err tw_ring_destroy(struct tw_ring *r)
{
	if (!r || !r->creator)
		return TW_E_ARG;
	char name[TW_RING_NAME_MAX];
	memcpy(name, r->name, sizeof(name));
	/* An attached control process still maps it and sees GONE. */
	atomic_store_explicit(&r->sb->ready, TW_RING_GONE, memory_order_release);
	munmap(r->base, r->len);
	free(r);
	if (shm_unlink(name) < 0 && errno != ENOENT)
		return TW_E_SYS;
	return TW_OK;
}

enum tw_err tw_ring_unlink(const char *name_in)
{
	char name[TW_RING_NAME_MAX];
	if (norm_name(name_in, name))
		return TW_E_ARG;
	return shm_unlink(name) < 0 ? TW_E_SYS : TW_OK;
}

int tw_ring_live(const struct tw_ring *r)
{
	return atomic_load_explicit(&r->sb->ready, memory_order_acquire) == TW_RING_READY &&
	       pid_alive(r->sb->creator_pid);
}

int tw_ring_replaced(const struct tw_ring *r)
{
	int fd = shm_open(r->name, O_RDONLY, 0);
	if (fd < 0)
		return 0; /* no object, or one we may not open: nothing known */
	struct stat st;
	int other = fstat(fd, &st) == 0 && (st.st_dev != r->dev || st.st_ino != r->ino);
	close(fd);
	return other;
}

/* ======================================================================== */
/* Accessors                                                                 */
/* ======================================================================== */

const struct tw_ring_super *tw_ring_super(const struct tw_ring *r)
{
	return r->sb;
}
const char *tw_ring_name(const struct tw_ring *r)
{
	return r->name;
}
struct tw_ring_q *tw_ring_cmd(struct tw_ring *r)
{
	return &r->cmd;
}
unsigned tw_ring_n_evt(const struct tw_ring *r)
{
	return r->n_evt;
}
unsigned tw_ring_n_lcores(const struct tw_ring *r)
{
	return r->n_lcores;
}

struct tw_ring_q *tw_ring_evt(struct tw_ring *r, unsigned i)
{
	return i < r->n_evt ? &r->evt[i] : NULL;
}

struct tw_ipc_counters *tw_ring_counters(struct tw_ring *r, unsigned lcore)
{
	if (lcore >= r->n_lcores)
		return NULL;
	return (struct tw_ipc_counters *)(r->base + r->sb->counters_off +
	                                  (uint64_t)lcore * sizeof(struct tw_ipc_counters));
}

unsigned tw_ring_n_ports(const struct tw_ring *r)
{
	return r->n_ports;
}

struct tw_ipc_port_stats *tw_ring_port_stats(struct tw_ring *r, unsigned port)
{
	if (port >= r->n_ports)
		return NULL;
	return (struct tw_ipc_port_stats *)(r->base + r->ports_off +
	                                    (uint64_t)port * sizeof(struct tw_ipc_port_stats));
}

void tw_ring_fp_heartbeat(struct tw_ring *r, uint64_t now_ns)
{
	atomic_store_explicit(&r->sb->fp_heartbeat_ns, now_ns, memory_order_relaxed);
}

void tw_ring_ctl_heartbeat(struct tw_ring *r, uint64_t now_ns)
{
	atomic_store_explicit(&r->sb->ctl_heartbeat_ns, now_ns, memory_order_relaxed);
}

uint64_t tw_ring_ctl_heartbeat_get(const struct tw_ring *r)
{
	return atomic_load_explicit(&r->sb->ctl_heartbeat_ns, memory_order_relaxed);
}

int tw_ring_ctl_owned(const struct tw_ring *r)
{
	return r->claimed_pid &&
	       atomic_load_explicit(&r->sb->ctl_pid, memory_order_acquire) == r->claimed_pid;
}

int tw_ring_ctl_release(struct tw_ring *r, uint32_t pid)
{
	uint32_t want = pid;
	return pid && r->creator && atomic_compare_exchange_strong(&r->sb->ctl_pid, &want, 0);
}

/* ======================================================================== */
/* Queues                                                                    */
/* ======================================================================== */

static uint64_t rec_size(uint64_t payload_len)
{
	return align_up(sizeof(struct tw_ipc_hdr) + payload_len, TW_RING_ALIGN);
}

/* Find room for a record of `rec` octets; may write a PAD record to the end
 * of the data area first (not yet published). */
static enum tw_err prod_room(struct tw_ring_q *q, uint32_t rec, uint64_t len, uint8_t **where)
{
	uint64_t pos = q->pos;
	uint32_t off = (uint32_t)(pos & q->mask);
	uint32_t contig = q->size - off;
	uint64_t need = rec <= contig ? rec : (uint64_t)contig + rec;
	if (pos + need - q->other > q->size) {
		q->other = atomic_load_explicit(&q->sh->cons.tail, memory_order_acquire);
		if (pos + need - q->other > q->size) {
			bump(&q->sh->prod.full_msgs, 1);
			bump(&q->sh->prod.full_octets, sizeof(struct tw_ipc_hdr) + len);
			return TW_E_FULL;
		}
	}
	if (rec > contig) {
		struct tw_ipc_hdr pad = {.version = TW_IPC_VERSION,
		                         .type = TW_IPC_PAD,
		                         .length = contig - (uint32_t)sizeof(pad)};
		memcpy(q->data + off, &pad, sizeof(pad));
		pos += contig;
		off = 0;
	}
	q->pos = pos;
	*where = q->data + off;
	return TW_OK;
}

static enum tw_err prod_check(struct tw_ring_q *q, uint64_t len)
{
	if (q->role != TW_RING_ROLE_PRODUCER || q->pending)
		return TW_E_ARG;
	if (len > TW_IPC_PAYLOAD_MAX || rec_size(len) > q->max_rec) {
		bump(&q->sh->prod.oversize, 1);
		return TW_E_NOSPACE;
	}
	return TW_OK;
}

static void publish(struct tw_ring_q *q, uint32_t rec)
{
	q->pos += rec;
	atomic_store_explicit(&q->sh->prod.head, q->pos, memory_order_release);
	bump(&q->sh->prod.enq_msgs, 1);
}

enum tw_err tw_ring_enqueue(struct tw_ring_q *q, const struct tw_ipc_hdr *h, const void *payload)
{
	enum tw_err err = prod_check(q, h->length);
	if (err)
		return err;
	struct tw_ipc_hdr hc = *h;
	hc.version = TW_IPC_VERSION;
	/* The producer checks too: a bug shows up at its source, not as a
	 * malformed counter on the other side. */
	if (h->length && !payload)
		return TW_E_ARG;
	if (h->type == TW_IPC_PAD) /* ring-internal: the consumer would skip it silently */
		return TW_E_COMMAND;
	err = tw_ipc_check(&hc, payload, (enum tw_ipc_dir)q->dir);
	if (err)
		return err;
	uint32_t rec = (uint32_t)rec_size(h->length);
	uint8_t *w;
	err = prod_room(q, rec, h->length, &w);
	if (err)
		return err;
	memcpy(w, &hc, sizeof(hc));
	if (h->length)
		memcpy(w + sizeof(hc), payload, h->length);
	publish(q, rec);
	return TW_OK;
}

enum tw_err tw_ring_reserve(struct tw_ring_q *q, uint32_t len, struct tw_ipc_hdr **h)
{
	enum tw_err err = prod_check(q, len);
	if (err)
		return err;
	uint32_t rec = (uint32_t)rec_size(len);
	uint8_t *w;
	err = prod_room(q, rec, len, &w);
	if (err)
		return err;
	struct tw_ipc_hdr hc = {.version = TW_IPC_VERSION, .length = len};
	memcpy(w, &hc, sizeof(hc));
	q->pending = rec;
	*h = (struct tw_ipc_hdr *)(void *)w;
	return TW_OK;
}

void tw_ring_commit(struct tw_ring_q *q)
{
	if (q->role != TW_RING_ROLE_PRODUCER || !q->pending)
		return;
	struct tw_ipc_hdr *h = (struct tw_ipc_hdr *)(void *)(q->data + (q->pos & q->mask));
	uint32_t rec = q->pending;
	uint64_t shrunk = rec_size(h->length);
	if (shrunk < rec)
		rec = (uint32_t)shrunk; /* a batch filled less than reserved returns the rest */
	q->pending = 0;
	publish(q, rec);
}

static void cons_advance(struct tw_ring_q *q, uint64_t n)
{
	q->pos += n;
	atomic_store_explicit(&q->sh->cons.tail, q->pos, memory_order_release);
}

enum tw_err tw_ring_peek(struct tw_ring_q *q, const struct tw_ipc_hdr **out)
{
	if (q->role != TW_RING_ROLE_CONSUMER)
		return TW_E_ARG;
	if (q->pending) {
		*out = (const struct tw_ipc_hdr *)(const void *)(q->data + (q->pos & q->mask));
		return TW_OK;
	}
	for (;;) {
		if (q->pos == q->other) {
			q->other = atomic_load_explicit(&q->sh->prod.head, memory_order_acquire);
			if (q->pos == q->other)
				return TW_E_EMPTY;
		}
		uint64_t avail = q->other - q->pos;
		uint32_t off = (uint32_t)(q->pos & q->mask);
		uint32_t contig = q->size - off;
		const uint8_t *p = q->data + off;
		struct tw_ipc_hdr h;
		/* A broken producer can publish a head that leaves fewer than a
		 * header's octets before the end of the data area (or an
		 * unaligned head): check that before reading the header, so a
		 * hostile region never makes us read past it (found by
		 * tests/fuzz/fuzz_ring.c, corpus crash-unaligned-tail). */
		bool sane = avail <= q->size && avail >= sizeof(h) && contig >= sizeof(h) &&
		            (off & (TW_RING_ALIGN - 1)) == 0;
		uint64_t rec = 0;
		if (sane) {
			memcpy(&h, p, sizeof(h)); /* read the length once */
			rec = align_up(sizeof(h) + (uint64_t)h.length, TW_RING_ALIGN);
		}
		if (!sane || rec > contig || rec > avail) {
			/* No record boundary can be trusted any more: drop all that
			 * is published, count it, and start again at the head. */
			bump(&q->sh->cons.malformed, 1);
			bump(&q->sh->cons.discarded_octets, avail);
			cons_advance(q, avail);
			return TW_E_LENGTH;
		}
		if (h.type == TW_IPC_PAD) {
			cons_advance(q, rec);
			continue;
		}
		enum tw_err err = rec > q->max_rec
		                      ? TW_E_LENGTH
		                      : tw_ipc_check(&h, p + sizeof(h), (enum tw_ipc_dir)q->dir);
		if (err) {
			/* The length is within bounds, so only this record goes. */
			bump(&q->sh->cons.malformed, 1);
			cons_advance(q, rec);
			return err;
		}
		q->pending = (uint32_t)rec;
		*out = (const struct tw_ipc_hdr *)(const void *)p;
		return TW_OK;
	}
}

void tw_ring_release(struct tw_ring_q *q)
{
	if (q->role != TW_RING_ROLE_CONSUMER || !q->pending)
		return;
	uint32_t rec = q->pending;
	q->pending = 0;
	cons_advance(q, rec);
	bump(&q->sh->cons.deq_msgs, 1);
}

enum tw_err tw_ring_dequeue(struct tw_ring_q *q, struct tw_ipc_hdr *h, void *buf, size_t cap)
{
	const struct tw_ipc_hdr *p;
	enum tw_err err = tw_ring_peek(q, &p);
	if (err)
		return err;
	/* The record lives in memory the other process writes: copy it out
	 * once and check the copy, never the shared octets again (no double
	 * fetch).  peek checked the same octets a moment ago; a producer that
	 * rewrote them since is caught here, by the copy's own check. */
	memcpy(h, p, sizeof(*h));
	if (rec_size(h->length) != q->pending) {
		bump(&q->sh->cons.malformed, 1);
		cons_advance(q, q->pending);
		q->pending = 0;
		return TW_E_LENGTH;
	}
	if (h->length > cap)
		return TW_E_NOSPACE;
	if (h->length)
		memcpy(buf, p + 1, h->length);
	enum tw_err e = tw_ipc_check(h, buf, (enum tw_ipc_dir)q->dir);
	if (e != TW_OK) {
		bump(&q->sh->cons.malformed, 1);
		cons_advance(q, q->pending);
		q->pending = 0;
		return e;
	}
	tw_ring_release(q);
	return TW_OK;
}

void tw_ring_qstats(const struct tw_ring_q *q, struct tw_ring_qstats *st)
{
	const struct tw_ring_shm *sh = q->sh;
	memset(st, 0, sizeof(*st));
	st->enq_msgs = ld_relaxed(&sh->prod.enq_msgs);
	st->full_msgs = ld_relaxed(&sh->prod.full_msgs);
	st->full_octets = ld_relaxed(&sh->prod.full_octets);
	st->oversize = ld_relaxed(&sh->prod.oversize);
	st->deq_msgs = ld_relaxed(&sh->cons.deq_msgs);
	st->malformed = ld_relaxed(&sh->cons.malformed);
	st->discarded_octets = ld_relaxed(&sh->cons.discarded_octets);
	uint64_t tail =
	    atomic_load_explicit((_Atomic uint64_t *)&sh->cons.tail, memory_order_acquire);
	uint64_t head =
	    atomic_load_explicit((_Atomic uint64_t *)&sh->prod.head, memory_order_acquire);
	st->used = head - tail;
	st->size = q->size;
}
