/* LZW check of a GIF image's data (see gif_lzw.py): codes are followed, not pixels.
 *
 * Only the length of each table entry is kept. A code may never exceed the next free
 * entry; the data must give exactly the image's pixels, then its end code (or end). Every
 * read is bounds-checked; the table never grows past 4096 entries.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define MAX_CODES 4096

/* 1 when data decodes to exactly `pixels` pixels; else 0 with *at (the first code that
 * does not belong) and *sure (where the table last filled, else *at). */
static int check(const uint8_t *data, Py_ssize_t n, int min_size, long long pixels,
                 long long *at, long long *sure) {
    int32_t lengths[MAX_CODES];
    int clear = 1 << min_size, end_code = clear + 1;
    for (int i = 0; i < clear; i++)
        lengths[i] = 1;
    lengths[clear] = lengths[end_code] = 0;
    int table = clear + 2, size = min_size + 1, previous = -1, bits = 0;
    uint32_t buffer = 0;
    long long count = 0, filled = -1;
    Py_ssize_t pos = 0;
    for (;;) {
        while (bits < size) {
            if (pos >= n) {
                if (count == pixels)
                    return 1;
                *at = n;
                goto fail;
            }
            buffer |= (uint32_t)data[pos++] << bits;
            bits += 8;
        }
        int code = (int)(buffer & ((1u << size) - 1));
        buffer >>= size;
        bits -= size;
        if (code == clear) {
            table = clear + 2;
            size = min_size + 1;
            previous = -1;
            continue;
        }
        if (code == end_code) {
            if (count == pixels)
                return 1;
            *at = pos - 1;
            goto fail;
        }
        if (code > table || (code == table && previous < 0)) {
            *at = pos - 1;
            goto fail;
        }
        if (previous >= 0 && table < MAX_CODES) {
            lengths[table] = lengths[previous] + 1;
            table++;
            if (table == 1 << size && size < 12)
                size++;
            if (table == MAX_CODES)
                filled = pos;
        }
        count += lengths[code];
        if (count > pixels) {
            *at = pos - 1;
            goto fail;
        }
        previous = code;
    }
fail:
    *sure = filled >= 0 ? filled : *at;
    return 0;
}

static PyObject *lzw_error(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer data;
    int min_size;
    long long pixels;
    if (!PyArg_ParseTuple(args, "y*iL", &data, &min_size, &pixels))
        return NULL;
    if (min_size < 1 || min_size > 11) {
        PyBuffer_Release(&data);
        return Py_BuildValue("(ii)", 0, 0);
    }
    long long at = 0, sure = 0;
    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = check(data.buf, data.len, min_size, pixels, &at, &sure);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    if (ok)
        Py_RETURN_NONE;
    return Py_BuildValue("(LL)", at, sure);
}

static PyMethodDef methods[] = {
    {"lzw_error", lzw_error, METH_VARARGS,
     "lzw_error(data, min_size, pixels) -> None or (first bad code offset, sure up to)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_gif_lzw",
    .m_doc = "LZW check of GIF image data.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__gif_lzw(void) { return PyModule_Create(&module); }
