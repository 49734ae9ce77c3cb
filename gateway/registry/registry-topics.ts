// The registry's topics and their sizes, apart from the registry itself so that `graticule serve --help` can
// show the defaults without loading kafkajs.
import { DEPLOY_LIMITS } from '../../faaslets/deploy-limits.js'

export const DEFAULT_CHAINS_TOPIC = 'graticule.chains'
export const DEFAULT_FAASLETS_TOPIC = 'graticule.faaslets'

/** The largest value a record may carry: a module at the deploy limit, with room for its manifest and the framing. */
export const MAX_RECORD_BYTES = DEPLOY_LIMITS.maxBytes + 512 * 1024

/** The topics' max.message.bytes: one record of MAX_RECORD_BYTES in its batch, with room for the batch's and record's headers. */
export const TOPIC_MAX_MESSAGE_BYTES = MAX_RECORD_BYTES + 64 * 1024
