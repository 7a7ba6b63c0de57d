/* Huffman walk of a baseline JPEG's entropy-coded data (see jpeg_huffman.py).
 *
 * A Decoder holds the Huffman tables of one MCU's blocks (DHT contents: 16 counts, then
 * the symbols) and checks stuffed entropy-coded data, restart markers included, MCU by
 * MCU: where it stops decoding cleanly, how many MCUs it holds and, on request, where
 * MCUs start. Codes are decoded one symbol at a time, through a 9-bit lookup for short
 * codes and canonical limits for longer ones; coefficients are skipped, not kept.
 * Every read is bounds-checked: bits past the end of a segment read as ones, up to
 * LOOKAHEAD bytes; a decode that needs more is a failure there.
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

/* Number of 0xFF bytes in data[lo:hi]. */
static int64_t count_ff(const uint8_t *data, int64_t lo, int64_t hi) {
    int64_t n = 0;
    for (int64_t i = lo; i < hi; i++)
        n += data[i] == 0xFF;
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

/* Decode the MCUs of one segment (raw[raw_start:raw_end] unstuffed) from bit *pos until MCU
 * `stop`; 1 when clean, 0 when a code is bad, a block overflows or the data runs out (*pos:
 * where), -1 on memory error. */
static int decode_segment(const Decoder *d, const Segment *seg, int64_t *pos, int64_t *mcu,
                          int64_t stop, int64_t raw_start, int64_t raw_end, Points *points) {
    int64_t p = *pos, nbits = seg->size * 8, counted = 0, stuffed = 0;
    while (*mcu < stop) {
        if (points != NULL) {
            int64_t index = p >> 3;
            stuffed += count_ff(seg->data, counted, index);
            counted = index;
            int64_t at = raw_start + index + stuffed;
            if (at > raw_end) /* a lone 0xFF ending the data was not a stuffed pair */
                at = raw_end;
            if (points_add(points, at, p & 7, *mcu) < 0)
                return -1;
        }
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
    for (int64_t i = lo; i < hi; i++) {
        out[n++] = raw[i];
        if (raw[i] == 0xFF && i + 1 < hi && raw[i + 1] == 0x00)
            i++;
    }
    return n;
}

/* The walk over a whole buffer; fills *ok, *end, *mcu. -1 on memory error. */
static int walk(const Decoder *d, const uint8_t *raw, int64_t n, int64_t bit, int64_t *mcu,
                int *ok, int64_t *end, Points *points) {
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
        int clean = decode_segment(d, &seg, &pos, mcu, stop, start, marker, points);
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

static PyObject *Decoder_check(Decoder *self, PyObject *args) {
    Py_buffer raw;
    long long bit, mcu;
    int want_points;
    if (!PyArg_ParseTuple(args, "y*LLp", &raw, &bit, &mcu, &want_points))
        return NULL;
    if (bit < 0 || bit > 7 || mcu < 0 || mcu > self->total) {
        PyBuffer_Release(&raw);
        return PyErr_Format(PyExc_ValueError, "expected 0 <= bit < 8 and 0 <= mcu <= %lld",
                            (long long)self->total);
    }
    Points points = {NULL, 0, 0};
    int64_t done = mcu, end = 0;
    int ok = 0, status;
    Py_BEGIN_ALLOW_THREADS
    status = walk(self, raw.buf, raw.len, bit, &done, &ok, &end, want_points ? &points : NULL);
    Py_END_ALLOW_THREADS
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

static PyMethodDef Decoder_methods[] = {
    {"check", (PyCFunction)Decoder_check, METH_VARARGS,
     "check(raw, bit, mcu, points) -> (ok, end, mcus, points bytes or None)"},
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
    if (PyType_Ready(&DecoderType) < 0)
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
    return m;
}
