/* Greedy CTC decoding and token vocabularies, for products that turn an ASR
 * model's log-probabilities into text.
 *
 * These functions are part of libhmcrt.a (installed as lib/libhmcrt.a with
 * this header as include/hmc/ctc.h); a product links that archive next to
 * its generated library. They allocate nothing except in hmcrt_vocab_load,
 * print nothing and never abort. */
#ifndef HMC_CTC_H
#define HMC_CTC_H

#include "hmc/api_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The blank id of SpeechBrain's CTC recipes (blank_index = 0). */
#define HMCRT_CTC_BLANK 0

/* Greedy (best-path) CTC decoding of one utterance.
 *
 * log_probs: num_frames x vocab_size float32, row-major (frame t's scores at
 * log_probs[t * vocab_size]). Any monotonic scores work: log-probabilities,
 * probabilities or logits give the same result.
 *
 * Each frame's token is the argmax of its row; on ties the lowest id wins.
 * Runs of the same token collapse into one, then blanks are dropped, so a
 * blank between two equal tokens keeps both ("a a _ a" gives "a a").
 *
 * tokens receives at most capacity ids (capacity may be 0 with tokens NULL
 * to ask for the length); *num_tokens is always set to the decoded length.
 *
 * Returns
 *   HMC_OK                      the ids are in tokens[0 .. *num_tokens)
 *   HMC_ERROR_BUFFER_TOO_SMALL  *num_tokens > capacity: call again with at
 *                               least *num_tokens (never more than
 *                               num_frames); tokens holds the first capacity
 *   HMC_ERROR_INVALID_ARGUMENT  log_probs or num_tokens NULL, tokens NULL
 *                               with capacity > 0, num_frames <= 0,
 *                               vocab_size <= 0, capacity < 0, blank outside
 *                               [0, vocab_size), or a NaN score
 *                               (*num_tokens is then 0) */
hmc_status hmcrt_ctc_greedy(const float *log_probs, int64_t num_frames,
                            int64_t vocab_size, int64_t blank, int64_t *tokens,
                            int64_t capacity, int64_t *num_tokens);

/* Greedy CTC decoding of a padded batch: log_probs is batch x num_frames x
 * vocab_size float32, row-major. Utterance b uses its first lengths[b]
 * frames (0 <= lengths[b] <= num_frames; 0 gives no tokens); lengths NULL
 * means every utterance has num_frames frames.
 *
 * The utterances' ids are written one after another into tokens: counts[b]
 * (batch entries, always set) is utterance b's length, so it starts at
 * counts[0] + ... + counts[b - 1]. *total is the sum of counts.
 *
 * Returns as hmcrt_ctc_greedy, with HMC_ERROR_BUFFER_TOO_SMALL when *total >
 * capacity (at most batch * num_frames are ever needed), and
 * HMC_ERROR_INVALID_ARGUMENT also for batch <= 0, counts NULL, or a length
 * outside [0, num_frames] (counts and *total are then 0). */
hmc_status hmcrt_ctc_greedy_batch(const float *log_probs, int64_t batch,
                                  int64_t num_frames, int64_t vocab_size,
                                  const int64_t *lengths, int64_t blank,
                                  int64_t *tokens, int64_t capacity,
                                  int64_t *counts, int64_t *total);

/* A token vocabulary: id i is line i of a UTF-8 text file.
 *
 * Each line is one token piece. A tab ends the piece, so SentencePiece's
 * .vocab files ("piece<TAB>score") load as they are. "\r\n" line ends and a
 * leading UTF-8 byte-order mark are accepted. An empty line is an id whose
 * piece is empty; a final line end does not start another id. */
typedef struct hmcrt_vocab hmcrt_vocab;

/* Loads path into *out (free it with hmcrt_vocab_free). On error *out is
 * NULL and error (when not NULL) receives a message naming the file and, for
 * a bad line, its number.
 *
 * Returns HMC_OK; HMC_ERROR_INVALID_ARGUMENT for NULL arguments, a file that
 * cannot be read, holds no line, holds a NUL byte or invalid UTF-8;
 * HMC_ERROR_OUT_OF_MEMORY. */
hmc_status hmcrt_vocab_load(const char *path, hmcrt_vocab **out, char *error,
                            size_t error_size);

void hmcrt_vocab_free(hmcrt_vocab *vocab); /* NULL is ignored */

/* The number of ids (lines). */
int64_t hmcrt_vocab_size(const hmcrt_vocab *vocab);

/* Piece of id as written in the file, NUL-terminated; NULL when id is
 * outside [0, size). Valid until hmcrt_vocab_free. */
const char *hmcrt_vocab_piece(const hmcrt_vocab *vocab, int64_t id);

/* Joins the pieces of ids into text, as SentencePiece decodes: every "▁"
 * (U+2581, the word-boundary marker) becomes a space, and a space at the
 * very start of the text is dropped. Other pieces, "<unk>" included, are
 * copied as they are.
 *
 * text receives the NUL-terminated result if it fits in capacity bytes (text
 * may be NULL with capacity 0 to ask for the length); *length is always set
 * to the text's length without the NUL.
 *
 * Returns HMC_OK; HMC_ERROR_BUFFER_TOO_SMALL when *length + 1 > capacity
 * (text then holds nothing useful); HMC_ERROR_OUT_OF_RANGE for an id outside
 * [0, size) (*length is then 0); HMC_ERROR_INVALID_ARGUMENT for NULL vocab
 * or length, ids NULL with count > 0, count < 0, or text NULL with capacity
 * > 0. */
hmc_status hmcrt_vocab_detokenize(const hmcrt_vocab *vocab, const int64_t *ids,
                                  int64_t count, char *text, size_t capacity,
                                  size_t *length);

#ifdef __cplusplus
}
#endif

#endif /* HMC_CTC_H */
