// A Kafka source's decoder worker (decode-pool.ts starts it): decodes the batches it is sent into point columns
// and sends them back, in the order it got them, the columns' buffers transferred (not copied). Its SensorIndex
// holds the names of the partitions pinned to it and shares its counter with every other index of the gateway.
import { parentPort, workerData } from 'node:worker_threads'
import { SensorIndex } from './windows.js'
import { decodeSensorRecords } from './sensor-decode.js'
import type { DecodeReply, DecodeRequest, DecoderData } from './decode-pool.js'

const { counter, maxSensors } = workerData as DecoderData
const index = new SensorIndex(maxSensors, counter)
const port = parentPort!

port.on('message', (m: DecodeRequest) => {
  const d = decodeSensorRecords(m.bytes, m.ends, index)
  const reply: DecodeReply = { id: m.id, ...d }
  // the columns' own buffers (the decoder allocates them): moved to the main thread, not copied
  port.postMessage(reply, [d.ends, d.sensor, d.ts, d.lon, d.lat, d.value].map((a) => a.buffer as ArrayBuffer))
})
port.postMessage({ id: 0, ready: true })
