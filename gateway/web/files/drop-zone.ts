// Drag and drop onto the map: the first dropped file goes to `onFile`.
export function dropZone(target: HTMLElement, onFile: (file: File) => void): void {
  const over = (e: DragEvent) => {
    e.preventDefault()
    target.classList.add('dropping')
  }
  target.addEventListener('dragenter', over)
  target.addEventListener('dragover', over)
  target.addEventListener('dragleave', () => target.classList.remove('dropping'))
  target.addEventListener('drop', (e) => {
    e.preventDefault()
    target.classList.remove('dropping')
    const file = e.dataTransfer?.files[0]
    if (file) onFile(file)
  })
}
