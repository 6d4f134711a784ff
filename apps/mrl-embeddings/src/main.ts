import { runApp } from '@matryoshka/experiment';
import { mrlEmbeddingsApp } from './app';

void runApp(mrlEmbeddingsApp);
