/* Huffman walk of a baseline JPEG's entropy-coded data (see jpeg_huffman.py).
 *
 * A Decoder holds the Huffman tables of one MCU's blocks (DHT contents: 16 counts, then
 * the symbols) and checks stuffed entropy-coded data, restart markers included, MCU by
 * MCU: where it stops decoding cleanly, how many MCUs it holds and, on request, where
 * MCUs start. Codes are decoded one symbol at a time, through a 9-bit lookup for short
 * codes and canonical limits for longer ones; coefficients are skipped, not kept.
 * Every read is bounds-checked: bits past the end of a segment read as ones, up to
 * LOOKAHEAD bytes; a decode that needs more is a failure there.
 *
 * A Trail remembers where the MCUs of earlier decodes started, in absolute media offsets,
 * for buffers that all end at the same offset (one candidate second fragment tried with
 * several heads or starts). Huffman codes resynchronise within a few MCUs, and the walk
 * from an MCU start depends only on the bytes from there to the end of its segment and on
 * the MCU count, so a later decode that reaches a remembered MCU start moves along the
 * remembered path at once, keeping its own count (see `follow`): the outcome is the one
 * the full walk gives, found without decoding the shared data again.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define FAST_BITS 9
#define MAX_BLOCKS 64
#define MAX_TABLES 16
#define EOB 128
#define LOOKAHEAD 4096
#define PAD 8

typedef struct { /* one Huffman table, canonical codes */
    uint16_t fast[1 << FAST_BITS]; /* code length << 8 | symbol for codes up to FAST_BITS */
    int32_t maxcode[17];           /* largest code of each length, -1 if none */
    int32_t offset[17];            /* symbol index of a code of each length, minus the code */
    uint8_t symbols[256];
} Table;

typedef struct {
    PyObject_HEAD
    Table *tables;
    int nblocks;
    const Table *dc[MAX_BLOCKS];
    const Table *ac[MAX_BLOCKS];
    int64_t total;
    int64_t restart;
} Decoder;

typedef struct { /* one unstuffed restart segment */
    const uint8_t *data;
    int64_t size;
} Segment;

typedef struct { /* growable array of (raw offset, bit, MCU) triples */
    int64_t *items;
    int64_t count, capacity;
} Points;

typedef struct { /* the MCU starts of one remembered decode, from MCU `base` on */
    int64_t base, count;
    int64_t *pos; /* bit offsets in that decode's unstuffed segment */
} Path;

typedef struct { /* hash slot: absolute bit offset + 1 (0: empty), path and index in it */
    uint64_t key;
    int32_t path, index;
} Slot;

typedef struct {
    PyObject_HEAD
    int64_t end;            /* absolute offset every buffer checked with it ends at */
    const void *decoder;    /* the Decoder it was first used with: no other may use it */
    Path *paths;
    int64_t npaths, path_capacity;
    Slot *slots;
    int64_t nslots, used;   /* nslots: a power of two */
} Trail;

#define TRAIL_LIMIT (1 << 20) /* MCU starts remembered per trail; beyond, no more are kept */

typedef struct { /* one decode's use of a trail */
    Trail *trail;
    int64_t origin, common; /* absolute offsets of the buffer and of its shared data */
    int followed;           /* a remembered path was joined: the rest is not recorded */
    int64_t base, count, capacity;
    uint64_t *keys;         /* this decode's MCU starts in the shared data */
    int64_t *pos;
} Memo;

/* 16 bits at bit position p; ones past the data; -1 past the lookahead. The segment's
 * buffer holds PAD bytes of ones after its data, so one 8-byte load serves most peeks. */
static inline int64_t peek16(const Segment *seg, int64_t p) {
    int64_t index = p >> 3;
    if (index + 8 <= seg->size + PAD) {
        uint64_t word;
        memcpy(&word, seg->data + index, 8);
        return (int64_t)((__builtin_bswap64(word) >> (48 - (p & 7))) & 0xFFFF);
    }
    if (index >= seg->size + LOOKAHEAD)
        return -1;
    uint32_t word = 0;
    for (int i = 0; i < 4; i++)
        word = word << 8 | (index + i < seg->size ? seg->data[index + i] : 0xFF);
    return (word >> (16 - (p & 7))) & 0xFFFF;
}

/* Record an MCU start; of the MCUs starting in one byte only the last is kept (what a
 * search for the last MCU start before an offset needs). */
static int points_add(Points *points, int64_t raw, int64_t bit, int64_t mcu) {
    if (points->count && points->items[3 * (points->count - 1)] == raw)
        points->count--;
    if (points->count == points->capacity) {
        int64_t capacity = points->capacity ? 2 * points->capacity : 1024;
        int64_t *items = PyMem_RawRealloc(points->items, (size_t)capacity * 3 * sizeof(int64_t));
        if (items == NULL)
            return -1;
        points->items = items;
        points->capacity = capacity;
    }
    int64_t *item = points->items + 3 * points->count++;
    item[0] = raw;
    item[1] = bit;
    item[2] = mcu;
    return 0;
}

/* Number of 0xFF bytes in data[lo:hi] (rare in entropy-coded data: found by memchr). */
static int64_t count_ff(const uint8_t *data, int64_t lo, int64_t hi) {
    int64_t n = 0;
    for (const uint8_t *at = data + lo, *end = data + hi; at < end; at++, n++) {
        at = memchr(at, 0xFF, (size_t)(end - at));
        if (at == NULL)
            break;
    }
    return n;
}

/* The symbol whose code starts at bit p (*length: its code length), -1 when no code
 * starts there. */
static inline int decode_symbol(const Table *t, const Segment *seg, int64_t p, int *length) {
    int64_t peek = peek16(seg, p);
    if (peek < 0)
        return -1;
    int fast = t->fast[peek >> (16 - FAST_BITS)];
    if (fast) {
        *length = fast >> 8;
        return fast & 0xFF;
    }
    for (int l = FAST_BITS + 1; l <= 16; l++) {
        int32_t code = (int32_t)(peek >> (16 - l));
        if (code <= t->maxcode[l]) {
            *length = l;
            return t->symbols[code + t->offset[l]];
        }
    }
    return -1;
}

/* Skip one block from bit *p: 1 when it decodes, else 0 with *p where it failed. */
static inline int skip_block(const Table *dc, const Table *ac, const Segment *seg, int64_t *p) {
    int length;
    int symbol = decode_symbol(dc, seg, *p, &length);
    if (symbol < 0 || symbol > 11)
        return 0;
    *p += length + symbol;
    int k = 1;
    while (k < 64) {
        symbol = decode_symbol(ac, seg, *p, &length);
        if (symbol < 0)
            return 0;
        int run = symbol >> 4, size = symbol & 15;
        if (size > 10 || (size == 0 && run != 0 && run != 15))
            return 0;
        *p += length + size;
        k += size ? run + 1 : (run ? 16 : EOB);
    }
    return !(k > 64 && k < EOB);
}

static inline uint64_t slot_hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return key;
}

static const Slot *trail_find(const Trail *trail, uint64_t key) {
    if (trail->nslots == 0)
        return NULL;
    uint64_t mask = (uint64_t)trail->nslots - 1;
    for (uint64_t i = slot_hash(key) & mask;; i = (i + 1) & mask) {
        if (trail->slots[i].key == key + 1)
            return &trail->slots[i];
        if (trail->slots[i].key == 0)
            return NULL;
    }
}

static void trail_put(Trail *trail, uint64_t key, int32_t path, int32_t index) {
    uint64_t mask = (uint64_t)trail->nslots - 1;
    for (uint64_t i = slot_hash(key) & mask;; i = (i + 1) & mask) {
        if (trail->slots[i].key == key + 1)
            return; /* an earlier path already passes here */
        if (trail->slots[i].key == 0) {
            trail->slots[i] = (Slot){key + 1, path, index};
            trail->used++;
            return;
        }
    }
}

/* Make room for `more` slots at most half full; -1 on memory error. */
static int trail_reserve(Trail *trail, int64_t more) {
    int64_t want = trail->nslots ? trail->nslots : 1024;
    while (2 * (trail->used + more) > want)
        want *= 2;
    if (want == trail->nslots)
        return 0;
    Slot *old = trail->slots;
    int64_t old_n = trail->nslots;
    trail->slots = PyMem_RawCalloc((size_t)want, sizeof(Slot));
    if (trail->slots == NULL) {
        trail->slots = old;
        return -1;
    }
    trail->nslots = want;
    trail->used = 0;
    for (int64_t i = 0; i < old_n; i++)
        if (old[i].key)
            trail_put(trail, old[i].key - 1, old[i].path, old[i].index);
    PyMem_RawFree(old);
    return 0;
}

/* Keep the memo's path (a decode that joined none) in its trail; -1 on memory error. */
static int trail_keep(Memo *memo) {
    Trail *trail = memo->trail;
    if (memo->followed || memo->count == 0 || trail->used + memo->count > TRAIL_LIMIT)
        return 0;
    if (trail->npaths == trail->path_capacity) {
        int64_t capacity = trail->path_capacity ? 2 * trail->path_capacity : 16;
        Path *paths = PyMem_RawRealloc(trail->paths, (size_t)capacity * sizeof(Path));
        if (paths == NULL)
            return -1;
        trail->paths = paths;
        trail->path_capacity = capacity;
    }
    if (trail_reserve(trail, memo->count) < 0)
        return -1;
    int32_t id = (int32_t)trail->npaths++;
    trail->paths[id] = (Path){memo->base, memo->count, memo->pos};
    memo->pos = NULL; /* the trail owns it now */
    for (int64_t i = 0; i < memo->count; i++)
        trail_put(trail, memo->keys[i], id, (int32_t)i);
    return 0;
}

/* At an MCU start (bit p of the segment, absolute raw byte `at`, MCU *mcu): follow a
 * remembered path met here, else note the start. Following keeps the MCU count's offset
 * from the path's: it moves to the path's start of MCU `stop` less that offset, or to the
 * path's last MCU start when that comes first (the MCU where it failed or the end), every
 * MCU in between having decoded there from the same bytes. 0, or -1 on memory error. */
static int follow(Memo *memo, int64_t at, int64_t *p, int64_t *mcu, int64_t stop) {
    if (memo->followed || at <= memo->common)
        return 0; /* byte `at - 1` must be shared too: it decides whether `at` is stuffing */
    uint64_t key = (uint64_t)at << 3 | (uint64_t)(*p & 7);
    const Slot *slot = trail_find(memo->trail, key);
    if (slot != NULL) {
        const Path *path = &memo->trail->paths[slot->path];
        int64_t offset = *mcu - (path->base + slot->index);
        int64_t target = stop - offset - path->base;
        if (target > path->count - 1)
            target = path->count - 1;
        *p += path->pos[target] - path->pos[slot->index];
        *mcu = path->base + target + offset;
        memo->followed = 1;
        return 0;
    }
    if (memo->count == memo->capacity) {
        int64_t capacity = memo->capacity ? 2 * memo->capacity : 1024;
        uint64_t *keys = PyMem_RawRealloc(memo->keys, (size_t)capacity * sizeof(uint64_t));
        if (keys == NULL)
            return -1;
        memo->keys = keys;
        int64_t *pos = PyMem_RawRealloc(memo->pos, (size_t)capacity * sizeof(int64_t));
        if (pos == NULL)
            return -1;
        memo->pos = pos;
        memo->capacity = capacity;
    }
    if (memo->count == 0)
        memo->base = *mcu;
    memo->keys[memo->count] = key;
    memo->pos[memo->count++] = *p;
    return 0;
}

/* Decode the MCUs of one segment (raw[raw_start:raw_end] unstuffed) from bit *pos until MCU
 * `stop`; 1 when clean, 0 when a code is bad, a block overflows or the data runs out (*pos:
 * where), -1 on memory error. */
static int decode_segment(const Decoder *d, const Segment *seg, int64_t *pos, int64_t *mcu,
                          int64_t stop, int64_t raw_start, int64_t raw_end, Points *points,
                          Memo *memo) {
    int64_t p = *pos, nbits = seg->size * 8, counted = 0, stuffed = 0;
    for (;;) {
        if (points != NULL || memo != NULL) {
            int64_t index = p >> 3;
            stuffed += count_ff(seg->data, counted, index);
            counted = index;
            int64_t at = raw_start + index + stuffed;
            if (at > raw_end) /* a lone 0xFF ending the data was not a stuffed pair */
                at = raw_end;
            if (points != NULL && *mcu < stop && points_add(points, at, p & 7, *mcu) < 0)
                return -1;
            if (memo != NULL && at < raw_end && follow(memo, memo->origin + at, &p, mcu, stop) < 0)
                return -1;
        }
        if (*mcu >= stop)
            break;
        for (int b = 0; b < d->nblocks; b++) {
            if (!skip_block(d->dc[b], d->ac[b], seg, &p)) {
                *pos = p;
                return 0;
            }
        }
        if (p > nbits) {
            *pos = nbits;
            return 0;
        }
        *mcu += 1;
    }
    *pos = p;
    return 1;
}

/* First marker (0xFF then anything but 0x00) at or after `from`, else n. */
static int64_t find_marker(const uint8_t *raw, int64_t from, int64_t n) {
    for (int64_t i = from; i + 1 < n; i++) {
        const uint8_t *hit = memchr(raw + i, 0xFF, (size_t)(n - 1 - i));
        if (hit == NULL)
            return n;
        i = hit - raw;
        if (raw[i + 1] != 0x00)
            return i;
    }
    return n;
}

/* raw[lo:hi] with every 0xFF 0x00 turned into 0xFF, into out; returns the length. */
static int64_t unstuff(const uint8_t *raw, int64_t lo, int64_t hi, uint8_t *out) {
    int64_t n = 0;
    for (int64_t i = lo; i < hi;) {
        const uint8_t *hit = memchr(raw + i, 0xFF, (size_t)(hi - i));
        int64_t next = hit == NULL ? hi : hit - raw + 1; /* up to and with the 0xFF */
        memcpy(out + n, raw + i, (size_t)(next - i));
        n += next - i;
        i = next;
        if (hit != NULL && i < hi && raw[i] == 0x00)
            i++;
    }
    return n;
}

/* The walk over a whole buffer; fills *ok, *end, *mcu. -1 on memory error. */
static int walk(const Decoder *d, const uint8_t *raw, int64_t n, int64_t bit, int64_t *mcu,
                int *ok, int64_t *end, Points *points, Memo *memo) {
    uint8_t *buffer = PyMem_RawMalloc((size_t)n + PAD);
    if (buffer == NULL)
        return -1;
    int64_t start = 0;
    int result = 0;
    for (;;) {
        int64_t marker = find_marker(raw, start, n);
        Segment seg = {buffer, unstuff(raw, start, marker, buffer)};
        memset(buffer + seg.size, 0xFF, PAD);
        int64_t stop = d->total;
        if (d->restart > 0 && (*mcu / d->restart + 1) * d->restart < stop)
            stop = (*mcu / d->restart + 1) * d->restart;
        int64_t pos = bit;
        int clean = decode_segment(d, &seg, &pos, mcu, stop, start, marker, points, memo);
        if (clean < 0) {
            result = -1;
            break;
        }
        int64_t left = seg.size * 8 - pos;
        if (clean && left >= 8)
            clean = 0;
        else if (clean && left > 0) {
            int mask = (1 << left) - 1;
            clean = (buffer[seg.size - 1] & mask) == mask;
        }
        if (!clean) {
            int64_t index = pos >> 3 < seg.size ? pos >> 3 : seg.size;
            *ok = 0;
            *end = start + index + count_ff(buffer, 0, index);
            if (*end > marker) /* a lone 0xFF ending the data was not a stuffed pair */
                *end = marker;
            break;
        }
        if (marker >= n - 1) {
            *ok = 0;
            *end = n;
            break;
        }
        while (marker + 2 < n && raw[marker + 1] == 0xFF)
            marker++;
        int code = raw[marker + 1];
        if (*mcu == d->total) {
            *ok = !(code >= 0xD0 && code <= 0xD7);
            *end = marker;
            break;
        }
        if (d->restart == 0 || code != 0xD0 + ((*mcu / d->restart - 1) & 7)) {
            *ok = 0;
            *end = marker;
            break;
        }
        start = marker + 2;
        bit = 0;
    }
    PyMem_RawFree(buffer);
    return result;
}

static PyTypeObject TrailType;

static PyObject *Decoder_check(Decoder *self, PyObject *args) {
    Py_buffer raw;
    long long bit, mcu, origin = 0, common = 0;
    int want_points;
    PyObject *trail = Py_None;
    if (!PyArg_ParseTuple(args, "y*LLp|OLL", &raw, &bit, &mcu, &want_points, &trail, &origin,
                          &common))
        return NULL;
    if (bit < 0 || bit > 7 || mcu < 0 || mcu > self->total) {
        PyBuffer_Release(&raw);
        return PyErr_Format(PyExc_ValueError, "expected 0 <= bit < 8 and 0 <= mcu <= %lld",
                            (long long)self->total);
    }
    Memo memo = {NULL, origin, common, 0, 0, 0, 0, NULL, NULL};
    if (trail != Py_None) {
        Trail *t = (Trail *)trail;
        const char *wrong = NULL;
        if (!PyObject_TypeCheck(trail, &TrailType))
            wrong = "trail must be a Trail";
        else if (t->end != origin + raw.len)
            wrong = "the buffer does not end where the trail's buffers end";
        else if (t->decoder != NULL && t->decoder != self)
            wrong = "the trail belongs to another decoder";
        if (wrong != NULL) {
            PyBuffer_Release(&raw);
            PyErr_SetString(PyExc_ValueError, wrong);
            return NULL;
        }
        t->decoder = self;
        if (self->restart == 0 && !want_points) /* one segment only: see follow */
            memo.trail = t;
    }
    Points points = {NULL, 0, 0};
    int64_t done = mcu, end = 0;
    int ok = 0, status;
    if (memo.trail != NULL) { /* the trail changes: keep the GIL */
        status = walk(self, raw.buf, raw.len, bit, &done, &ok, &end, NULL, &memo);
        if (status == 0)
            status = trail_keep(&memo);
    } else {
        Py_BEGIN_ALLOW_THREADS
        status = walk(self, raw.buf, raw.len, bit, &done, &ok, &end,
                      want_points ? &points : NULL, NULL);
        Py_END_ALLOW_THREADS
    }
    PyMem_RawFree(memo.keys);
    PyMem_RawFree(memo.pos);
    PyBuffer_Release(&raw);
    if (status < 0) {
        PyMem_RawFree(points.items);
        return PyErr_NoMemory();
    }
    PyObject *listed = Py_None;
    if (want_points) {
        listed = PyBytes_FromStringAndSize((const char *)points.items,
                                           (Py_ssize_t)(points.count * 3 * sizeof(int64_t)));
        PyMem_RawFree(points.items);
        if (listed == NULL)
            return NULL;
    } else {
        Py_INCREF(listed);
    }
    return Py_BuildValue("(NLLN)", PyBool_FromLong(ok), (long long)end, (long long)done, listed);
}

static void Decoder_dealloc(Decoder *self) {
    PyMem_Free(self->tables);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Canonical codes of a DHT table (16 counts, then symbols); -1 when they overflow their
 * lengths or the symbols run out. */
static int build_table(Table *t, const uint8_t *dht, Py_ssize_t size) {
    memset(t, 0, sizeof(*t));
    if (size < 16)
        return -1;
    int32_t code = 0, index = 0;
    for (int l = 1; l <= 16; l++) {
        int count = dht[l - 1];
        t->offset[l] = index - code;
        for (int i = 0; i < count; i++, code++, index++) {
            if (code >= (1 << l) || index >= size - 16 || index >= 256)
                return -1;
            t->symbols[index] = dht[16 + index];
            if (l <= FAST_BITS)
                for (int32_t j = code << (FAST_BITS - l); j < (code + 1) << (FAST_BITS - l); j++)
                    t->fast[j] = (uint16_t)(l << 8 | dht[16 + index]);
        }
        t->maxcode[l] = count ? code - 1 : -1;
        code <<= 1;
    }
    return 0;
}

static int Decoder_init(Decoder *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"tables", "plan", "total", "restart", NULL};
    PyObject *tables;
    Py_buffer plan;
    long long total, restart;
    if (self->tables != NULL) {
        PyErr_SetString(PyExc_TypeError, "Decoder is already initialised");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oy*LL", names, &tables, &plan, &total,
                                     &restart))
        return -1;
    int status = -1;
    PyObject *seq = PySequence_Fast(tables, "tables must be a sequence of bytes");
    if (seq == NULL)
        goto done;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    if (count < 1 || count > MAX_TABLES || total < 0 || restart < 0 || plan.len % 2 ||
        plan.len / 2 > MAX_BLOCKS || plan.len == 0) {
        PyErr_SetString(PyExc_ValueError, "expected 1 to 16 tables, 1 to 64 blocks, "
                                          "total >= 0 and restart >= 0");
        goto done;
    }
    self->tables = PyMem_Calloc((size_t)count, sizeof(Table));
    if (self->tables == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_buffer view;
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(seq, i), &view, PyBUF_SIMPLE) < 0)
            goto done;
        int built = build_table(&self->tables[i], view.buf, view.len);
        PyBuffer_Release(&view);
        if (built < 0) {
            PyErr_SetString(PyExc_ValueError, "malformed Huffman table");
            goto done;
        }
    }
    const uint8_t *pairs = plan.buf;
    for (Py_ssize_t b = 0; b < plan.len / 2; b++) {
        if (pairs[2 * b] >= count || pairs[2 * b + 1] >= count) {
            PyErr_SetString(PyExc_ValueError, "plan names a table that is not given");
            goto done;
        }
        self->dc[b] = &self->tables[pairs[2 * b]];
        self->ac[b] = &self->tables[pairs[2 * b + 1]];
    }
    self->nblocks = (int)(plan.len / 2);
    self->total = total;
    self->restart = restart;
    status = 0;
done:
    Py_XDECREF(seq);
    PyBuffer_Release(&plan);
    return status;
}

static int Trail_init(Trail *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"end", NULL};
    long long end;
    if (self->decoder != NULL || self->npaths) {
        PyErr_SetString(PyExc_TypeError, "Trail is already initialised");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "L", names, &end))
        return -1;
    self->end = end;
    return 0;
}

static void Trail_dealloc(Trail *self) {
    for (int64_t i = 0; i < self->npaths; i++)
        PyMem_RawFree(self->paths[i].pos);
    PyMem_RawFree(self->paths);
    PyMem_RawFree(self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Trail_size(Trail *self, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromLongLong((long long)self->used);
}

static PyMethodDef Trail_methods[] = {
    {"size", (PyCFunction)Trail_size, METH_NOARGS, "size() -> MCU starts remembered"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TrailType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "scanner.carve._jpeg_entropy.Trail",
    .tp_basicsize = sizeof(Trail),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Trail(end): MCU starts of earlier decodes of buffers ending at offset `end`",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Trail_init,
    .tp_dealloc = (destructor)Trail_dealloc,
    .tp_methods = Trail_methods,
};

static PyMethodDef Decoder_methods[] = {
    {"check", (PyCFunction)Decoder_check, METH_VARARGS,
     "check(raw, bit, mcu, points[, trail, origin, common]) -> (ok, end, mcus, points bytes "
     "or None); with a Trail: raw starts at absolute offset origin, its bytes from common on "
     "are shared with the trail's earlier buffers"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject DecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "scanner.carve._jpeg_entropy.Decoder",
    .tp_basicsize = sizeof(Decoder),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Decoder(tables, plan, total, restart): entropy-coded data check of one scan",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Decoder_init,
    .tp_dealloc = (destructor)Decoder_dealloc,
    .tp_methods = Decoder_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_jpeg_entropy",
    .m_doc = "Huffman walk of JPEG entropy-coded data.",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__jpeg_entropy(void) {
    if (PyType_Ready(&DecoderType) < 0 || PyType_Ready(&TrailType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&DecoderType);
    if (PyModule_AddObject(m, "Decoder", (PyObject *)&DecoderType) < 0) {
        Py_DECREF(&DecoderType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&TrailType);
    if (PyModule_AddObject(m, "Trail", (PyObject *)&TrailType) < 0) {
        Py_DECREF(&TrailType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
