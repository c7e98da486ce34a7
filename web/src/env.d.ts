/// <reference types="vite/client" />

// hls.js ships its light build (no subtitles, DRM or alternate audio: a live room needs none) without types of its own.
declare module 'hls.js/light' {
  import Hls from 'hls.js';
  export default Hls;
}
